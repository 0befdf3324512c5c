/**
 * The node's own endpoints: `/` (what this node is), `/status` (instance id and name, connections,
 * requests served, memory, database state, event stream and lag, keyring state), `/status/ready`
 * (the readiness probe: 200 only once configuration, database, keyring and event stream are in
 * place, see readiness.ts; 503 PC_ADMIN_NOT_READY with the cause otherwise) and `/metrics`
 * (Prometheus). Only `/status/ready` is open without the admin token: a load balancer learns
 * "ready or not" and the cause's code, nothing else (no file path, no host); `/status` shows
 * load figures and the full cause, and needs the token.
 *
 * Every database read here is bounded by `pingTimeout` (default 800 ms), so both answer within
 * a second even when the database hangs.
 */
import type { FastifyInstance } from 'fastify';
import { PortcullisError } from '../errors/portcullis-error.js';
import type { EventBusHealth } from '../cluster/event-bus.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import type { Store } from '../store/store.js';
import type { AdminRouteConfig } from './admin-auth.js';
import { ErrorResponses } from './http-schemas.js';
import { notReadyCause } from './readiness.js';
import type { WorkerStatus } from '../node/workers/worker-status.js';
import { Metrics, NodeInfo, Ready, Status } from './status-schemas.js';

/** What the node endpoints read. */
export interface StatusDeps {
  readonly store: Store;
  readonly metrics?: ProxyMetrics | undefined;
  /** True once the node has loaded its configuration and serves. */
  isReady(): boolean;
  /** Why the keyring is incomplete, or null (absent: no keyring to check). */
  keyringProblem?(): PortcullisError | null;
  /** The active key's id and how many keys the database uses that this node lacks. */
  keyringState?(): { readonly active: string | null; readonly missing: number };
  /** The event bus's health (absent: no bus, readiness does not wait for one). */
  eventHealth?(): EventBusHealth;
  /** Requests this admin server has answered so far. */
  totalRequests(): number;
  readonly version: string;
  /** The node's name (config `node_id`, or the host name). */
  readonly nodeName: string;
  /** This process's instance id (random at start): what its cluster events carry. */
  readonly instanceId: string;
  /** Names of the plugins this node can run, if the composition root passes them. */
  readonly plugins?: readonly string[] | undefined;
  /** The `/metrics` text instead of `metrics.registry`'s (a `--workers` primary aggregates its workers'). */
  metricsText?(): Promise<string>;
  /** A `--workers` primary's workers. */
  workers?(): readonly WorkerStatus[];
  /** How long `/status` and `/status/ready` wait for the database, in milliseconds. */
  readonly pingTimeout?: number;
}

/** What the OpenAPI document says of each endpoint. */
const NODE_DOCS = {
  about: {
    summary: 'About this node',
    description: 'The version, node id, instance id and database dialect of this node, and the plugins it has installed.',
  },
  status: {
    summary: 'Health and load of this node',
    description:
      'What an operator checks first: admin connections and requests, database reachable and writable (with the cause when not), the cluster event stream, memory, the keyring, and readiness with its cause.',
  },
  ready: {
    summary: 'Readiness probe (no token needed)',
    description:
      '200 once the node serves traffic: its database takes writes, its keyring is complete and its event stream is caught up; 503 `PC_ADMIN_NOT_READY` naming the cause otherwise. Needs no token, for load balancers and orchestrators.',
  },
  metrics: {
    summary: 'Prometheus metrics',
    description: 'Metrics of this node in the Prometheus text format: requests, latencies, auth outcomes, caches, cluster events, database.',
  },
} as const;

/** Registers `/`, `/status`, `/status/ready` and, when metrics are given, `/metrics`. */
export function registerStatusEndpoints(app: FastifyInstance, deps: StatusDeps): void {
  const tags = ['node'];
  const timeoutMs = deps.pingTimeout ?? 800;
  const bounded = <T>(promise: Promise<T>, fallback: T) => withTimeout(promise, timeoutMs, fallback).catch(() => fallback);
  const reachable = () =>
    bounded(
      deps.store.ping().then(() => true),
      false,
    );
  const storageProblem = () => bounded(deps.store.storage.check(), new PortcullisError('PC_STORE_UNAVAILABLE'));
  const latestEvent = () => bounded<number | null>(deps.store.events.latestId(), null);
  const cause = (storage: PortcullisError | null) =>
    notReadyCause({ loaded: deps.isReady(), storage, keyring: deps.keyringProblem?.() ?? null, events: deps.eventHealth?.() ?? null });

  app.get('/', { schema: { tags, ...NODE_DOCS.about, response: { 200: NodeInfo } } }, async () => ({
    tagline: 'Welcome to Portcullis',
    version: deps.version,
    node_id: deps.nodeName,
    instance_id: deps.instanceId,
    database: deps.store.dialect,
    plugins: { available_on_server: [...(deps.plugins ?? [])] },
  }));

  app.get('/status', { schema: { tags, ...NODE_DOCS.status, response: { 200: Status } } }, async () => {
    const memory = process.memoryUsage();
    const [isReachable, problem, latest] = await Promise.all([reachable(), storageProblem(), deps.eventHealth ? latestEvent() : null]);
    const notReady = cause(problem);
    return {
      instance_id: deps.instanceId,
      node_name: deps.nodeName,
      server: { connections_active: await activeConnections(app), total_requests: deps.totalRequests() },
      database: { dialect: deps.store.dialect, reachable: isReachable, writable: problem === null, ...(problem ? { error: causeOf(problem) } : {}) },
      ...(deps.eventHealth ? { events: eventsView(deps.eventHealth(), latest) } : {}),
      memory: { rss_bytes: memory.rss, heap_used_bytes: memory.heapUsed },
      ...keyringView(deps),
      ...(deps.workers ? { workers: deps.workers() } : {}),
      ready: notReady === null,
      ...(notReady ? { cause: notReady } : {}),
    };
  });

  const publicRoute: AdminRouteConfig = { adminPublic: true };
  app.get('/status/ready', { config: publicRoute, schema: { tags, ...NODE_DOCS.ready, response: { 200: Ready, ...ErrorResponses(503) } } }, async () => {
    // Not loaded yet: no database round trip needed to say so.
    const notReady = cause(deps.isReady() ? await storageProblem() : null);
    if (notReady) throw new PortcullisError('PC_ADMIN_NOT_READY', { message: notReady });
    return { ready: true };
  });

  const metrics = deps.metrics;
  if (!metrics) return;
  app.get('/metrics', { schema: { tags, ...NODE_DOCS.metrics, response: { 200: Metrics } } }, async (_request, reply) => {
    const text = deps.metricsText ? await deps.metricsText() : await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}

function eventsView(health: EventBusHealth, latest: number | null) {
  return {
    mode: health.mode,
    connected: health.connected,
    caught_up: health.caughtUp,
    applied_through: health.appliedThrough,
    latest,
    lag: latest === null ? null : Math.max(0, latest - health.appliedThrough),
    last_applied_at: isoOrNull(health.lastAppliedAt),
    failing_since: isoOrNull(health.failingSince),
  };
}

function keyringView(deps: StatusDeps) {
  if (!deps.keyringProblem) return {};
  const problem = deps.keyringProblem();
  const state = deps.keyringState?.() ?? { active: null, missing: 0 };
  return { keyring: { complete: problem === null, active: state.active, missing: state.missing, ...(problem ? { error: causeOf(problem) } : {}) } };
}

const causeOf = (problem: PortcullisError) => ({ code: problem.code, message: problem.message });
const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** `promise`, or `fallback` when it has not settled within `timeoutMs`. */
async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function activeConnections(app: FastifyInstance): Promise<number> {
  if (!app.server.listening) return Promise.resolve(0);
  return new Promise((resolve) => app.server.getConnections((err, count) => resolve(err ? 0 : count)));
}
