/**
 * The node's own endpoints: `/` (what this node is), `/status` (connections, requests served,
 * memory, whether the database answers), `/status/ready` (the readiness probe: 200 once the node
 * has loaded its configuration and the database answers, 503 PC_ADMIN_NOT_READY before) and
 * `/metrics` (Prometheus). Only `/status/ready` is open without the admin token: a load balancer
 * learns "ready or not" and nothing else; `/status` shows load figures and needs the token.
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
  /** Requests this admin server has answered so far. */
  totalRequests(): number;
  readonly version: string;
  readonly nodeId: string;
  /** Names of the plugins this node can run, if the composition root passes them. */
  readonly plugins?: readonly string[] | undefined;
  /** How long `/status` and `/status/ready` wait for the database, in milliseconds. */
  readonly pingTimeout?: number;
}

const NodeInfo = Type.Object({
  tagline: Type.String(),
  version: Type.String(),
  node_id: Type.String(),
  database: Type.String({ description: 'sqlite or postgres' }),
  plugins: Type.Object({ available_on_server: Type.Array(Type.String()) }),
});

const Status = Type.Object({
  server: Type.Object({ connections_active: Type.Integer(), total_requests: Type.Integer() }),
  database: Type.Object({ reachable: Type.Boolean() }),
  memory: Type.Object({ rss_bytes: Type.Integer(), heap_used_bytes: Type.Integer() }),
  ready: Type.Boolean(),
});

const Ready = Type.Object({ ready: Type.Literal(true) });
const Metrics = Type.String({ description: 'Prometheus text exposition format' });

/** Registers `/`, `/status`, `/status/ready` and, when metrics are given, `/metrics`. */
export function registerStatusEndpoints(app: FastifyInstance, deps: StatusDeps): void {
  const tags = ['node'];
  const reachable = () => databaseReachable(deps.store, deps.pingTimeout ?? 2000);

  app.get('/', { schema: { tags, summary: 'About this node', response: { 200: NodeInfo } } }, async () => ({
    tagline: 'Welcome to Portcullis',
    version: deps.version,
    node_id: deps.nodeId,
    database: deps.store.dialect,
    plugins: { available_on_server: [...(deps.plugins ?? [])] },
  }));

  app.get('/status', { schema: { tags, summary: 'Health and load of this node', response: { 200: Status } } }, async () => {
    const memory = process.memoryUsage();
    return {
      server: { connections_active: await activeConnections(app), total_requests: deps.totalRequests() },
      database: { reachable: await reachable() },
      memory: { rss_bytes: memory.rss, heap_used_bytes: memory.heapUsed },
      ready: deps.isReady(),
    };
  });

  const publicRoute: AdminRouteConfig = { adminPublic: true };
  app.get(
    '/status/ready',
    { config: publicRoute, schema: { tags, summary: 'Readiness probe (no token needed)', response: { 200: Ready, ...ErrorResponses(503) } } },
    async () => {
      if (!deps.isReady()) throw new PortcullisError('PC_ADMIN_NOT_READY');
      if (!(await reachable())) throw new PortcullisError('PC_ADMIN_NOT_READY', { message: 'The database is not reachable' });
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

/** True when the database answers within `timeoutMs`. */
async function databaseReachable(store: Store, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([store.ping().then(() => true as const), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

function activeConnections(app: FastifyInstance): Promise<number> {
  if (!app.server.listening) return Promise.resolve(0);
  return new Promise((resolve) => app.server.getConnections((err, count) => resolve(err ? 0 : count)));
}
