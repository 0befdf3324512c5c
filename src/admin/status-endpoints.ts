/**
 * The node's own endpoints: `/` (what this node is), `/status` (connections, requests served,
 * memory, whether the database answers and takes writes), `/status/ready` (the readiness probe:
 * 200 once the node has loaded its configuration, its database takes writes and it holds every
 * keyring key the database uses; 503 PC_ADMIN_NOT_READY otherwise) and `/metrics` (Prometheus). Only `/status/ready` is open without
 * the admin token: a load balancer learns "ready or not" and the cause's code, nothing else (no
 * file path); `/status` shows load figures and the full cause, and needs the token.
 */
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import { PortcullisError } from '../errors/portcullis-error.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import type { Store } from '../store/store.js';
import type { AdminRouteConfig } from './admin-auth.js';
import { ErrorResponses } from './http-schemas.js';

/** What the node endpoints read. */
export interface StatusDeps {
  readonly store: Store;
  readonly metrics?: ProxyMetrics | undefined;
  isReady(): boolean;
  /** Why the keyring is incomplete, or null (absent: no keyring to check). */
  keyringProblem?(): PortcullisError | null;
  /** Requests this admin server has answered so far. */
  totalRequests(): number;
  readonly version: string;
  /** The node's name (config `node_id`, or the host name). */
  readonly nodeName: string;
  /** This process's instance id (random at start): what its cluster events carry. */
  readonly instanceId: string;
  /** Names of the plugins this node can run, if the composition root passes them. */
  readonly plugins?: readonly string[] | undefined;
  /** How long `/status` and `/status/ready` wait for the database, in milliseconds. */
  readonly pingTimeout?: number;
}

const NodeInfo = Type.Object({
  tagline: Type.String(),
  version: Type.String(),
  node_id: Type.String({ description: "the node's name (`node_id` in the config, or the host name)" }),
  instance_id: Type.String({ description: 'this process, random at each start: what its cluster events carry' }),
  database: Type.String({ description: 'sqlite or postgres' }),
  plugins: Type.Object({ available_on_server: Type.Array(Type.String()) }),
});

const Status = Type.Object({
  server: Type.Object({ connections_active: Type.Integer(), total_requests: Type.Integer() }),
  database: Type.Object({
    reachable: Type.Boolean(),
    writable: Type.Boolean({ description: 'false while a write would fail: file deleted, replaced or read-only, disk full …' }),
    error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() }, { description: 'why writes fail, when they do' })),
  }),
  memory: Type.Object({ rss_bytes: Type.Integer(), heap_used_bytes: Type.Integer() }),
  keyring: Type.Optional(
    Type.Object({
      complete: Type.Boolean({ description: 'false while a keyring key the database uses is not held by this node, or no key is active' }),
      error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
    }),
  ),
  ready: Type.Boolean(),
});

const Ready = Type.Object({ ready: Type.Literal(true) });
const Metrics = Type.String({ description: 'Prometheus text exposition format' });

/** Registers `/`, `/status`, `/status/ready` and, when metrics are given, `/metrics`. */
export function registerStatusEndpoints(app: FastifyInstance, deps: StatusDeps): void {
  const tags = ['node'];
  const timeoutMs = deps.pingTimeout ?? 2000;
  const reachable = () =>
    withTimeout(
      deps.store.ping().then(() => true),
      timeoutMs,
      false,
    ).catch(() => false);
  const storageProblem = () => withTimeout(deps.store.storage.check(), timeoutMs, new PortcullisError('PC_STORE_UNAVAILABLE'));

  const keyringStatus = () => {
    if (!deps.keyringProblem) return {};
    const problem = deps.keyringProblem();
    return { keyring: { complete: problem === null, ...(problem ? { error: { code: problem.code, message: problem.message } } : {}) } };
  };

  app.get('/', { schema: { tags, summary: 'About this node', response: { 200: NodeInfo } } }, async () => ({
    tagline: 'Welcome to Portcullis',
    version: deps.version,
    node_id: deps.nodeName,
    instance_id: deps.instanceId,
    database: deps.store.dialect,
    plugins: { available_on_server: [...(deps.plugins ?? [])] },
  }));

  app.get('/status', { schema: { tags, summary: 'Health and load of this node', response: { 200: Status } } }, async () => {
    const memory = process.memoryUsage();
    const [isReachable, problem] = await Promise.all([reachable(), storageProblem()]);
    return {
      server: { connections_active: await activeConnections(app), total_requests: deps.totalRequests() },
      database: { reachable: isReachable, writable: problem === null, ...(problem ? { error: { code: problem.code, message: problem.message } } : {}) },
      memory: { rss_bytes: memory.rss, heap_used_bytes: memory.heapUsed },
      ...keyringStatus(),
      ready: deps.isReady(),
    };
  });

  const publicRoute: AdminRouteConfig = { adminPublic: true };
  app.get(
    '/status/ready',
    { config: publicRoute, schema: { tags, summary: 'Readiness probe (no token needed)', response: { 200: Ready, ...ErrorResponses(503) } } },
    async () => {
      if (!deps.isReady()) throw new PortcullisError('PC_ADMIN_NOT_READY');
      const problem = await storageProblem();
      if (problem) throw new PortcullisError('PC_ADMIN_NOT_READY', { message: notReadyMessage(problem) });
      const keyring = deps.keyringProblem?.();
      if (keyring) throw new PortcullisError('PC_ADMIN_NOT_READY', { message: `The keyring is incomplete (${keyring.code})` });
      return { ready: true };
    },
  );

  const metrics = deps.metrics;
  if (!metrics) return;
  app.get('/metrics', { schema: { tags, summary: 'Prometheus metrics', response: { 200: Metrics } } }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
}

/** The public reason: the cause's code, never its message (which names the database file). */
function notReadyMessage(problem: PortcullisError): string {
  if (problem.code === 'PC_STORE_FULL') return 'The database storage is full (PC_STORE_FULL)';
  if (problem.code === 'PC_STORE_READ_ONLY') return 'The database is read-only (PC_STORE_READ_ONLY)';
  return 'The database is not reachable or cannot take writes (PC_STORE_UNAVAILABLE)';
}

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
