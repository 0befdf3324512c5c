/**
 * `npm run bench:hot-path`: the proxy's own per-request code, this checkout against another one
 * (BENCH_BASELINE, e.g. the commit before a change), in one process, alternating, so a change's
 * cost is measured in nanoseconds rather than guessed from req/s on a noisy machine. Two parts:
 *
 * - before the plugins: request-target parsing, the ambiguity check (when the checkout has one),
 *   routing over 10 plain routes, the upstream headers;
 * - key-auth's access phase on a cached key (the verifier answers from memory, as on the hot path);
 * - the metrics of one request (upstream latency, request count and duration).
 *
 * No sockets, no upstream: what is identical in both checkouts (Node's HTTP parser, undici) is
 * left out on purpose. The baseline's modules are loaded from its `src/` through tsx; where its
 * API differs, the call passes what both versions accept.
 * Usage: BENCH_BASELINE=../baseline npm run bench:hot-path
 */
import { resolve } from 'node:path';
import { pino } from 'pino';
import Value from 'typebox/value';
import { createEntityFactory } from '../src/proxy/testing/entities.js';

const baselineRoot = process.env['BENCH_BASELINE'];
if (!baselineRoot) throw new Error('set BENCH_BASELINE to the checkout to compare with');
const roots = { baseline: resolve(baselineRoot), this: resolve('.') };
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 7);
const iterations = Number(process.env['BENCH_ITERATIONS'] ?? 1_000_000);

type Loaded = Record<string, any>;
const load = (root: string, module: string): Promise<Loaded> => import(`${root}/src/${module}`) as Promise<Loaded>;
const loadOptional = (root: string, module: string): Promise<Loaded | null> => load(root, module).catch(() => null);

const make = createEntityFactory();
const service = make.service({ name: 's', port: 9000 });
const routes = Array.from({ length: 10 }, (_, i) => make.route({ paths: [`/api/v1/r${i}`], service: { id: service.id } }));
const services = new Map([[service.id, service]]);
const key = `pcg_${'a'.repeat(72)}`;
const incoming = { host: '127.0.0.1:8000', 'user-agent': 'autocannon', accept: '*/*', 'x-api-key': key, connection: 'keep-alive' };
const rawHeaders = ['Host', incoming.host, 'User-Agent', 'autocannon', 'Accept', '*/*', 'x-api-key', key, 'Connection', 'keep-alive'];
const request = { httpVersionMajor: 1, httpVersionMinor: 1, rawHeaders, headers: incoming };
const facts = {
  peerIp: '127.0.0.1',
  trustedPeer: false,
  clientIp: '127.0.0.1',
  requestId: 'req-1',
  requestHost: incoming.host,
  port: '8000',
  upstreamHost: '127.0.0.1:9000',
};

/** Parsing, ambiguity check, routing and upstream headers of one request. */
async function beforePlugins(root: string): Promise<() => unknown> {
  const target = await load(root, 'proxy/request-target.ts');
  const router = (await load(root, 'proxy/router.ts')).createRouter(routes, services);
  const headers = await load(root, 'proxy/headers.ts');
  const ambiguity = await loadOptional(root, 'proxy/ambiguous-request.ts');
  return () => {
    const parsed = target.parseRequestTarget('/api/v1/r7/items/42?x=1');
    ambiguity?.ambiguityOf(request, parsed.authority);
    const match = router.match('GET', incoming.host, parsed.path, incoming);
    headers.buildUpstreamHeaders(incoming, facts);
    return match;
  };
}

/** key-auth's access phase with the default configuration, the key answered from the cache. */
async function keyAuthAccess(root: string): Promise<() => unknown> {
  const { keyAuthPlugin } = await load(root, 'plugins/key-auth/handler.ts');
  const { KeyAuthConfigSchema } = await load(root, 'plugins/key-auth/schema.ts');
  const consumer = { id: '00000000-0000-4000-8000-000000000001', username: 'alice', custom_id: null };
  const valid = {
    status: 'valid',
    key: { keyId: 'abcdef0123456789', consumerId: consumer.id, expiresAt: null, stored: true, issuer: 'portcullis', serviceId: null },
  };
  const verifier = { verify: async () => valid, verifyCached: () => valid };
  // The outcome counter a running node passes (a checkout without it counts nothing).
  const outcomes = await loadOptional(root, 'observability/auth-outcomes.ts');
  const { Registry } = await import('prom-client');
  const plugin = keyAuthPlugin.create(Value.Default(KeyAuthConfigSchema, {}), {
    logger: pino({ level: 'silent' }),
    apiKeys: verifier,
    consumers: { byId: () => consumer, find: () => consumer },
    ...(outcomes ? { authOutcomes: outcomes['createAuthOutcomes'](new Registry()) } : {}),
  });
  return () =>
    plugin.access({
      req: request,
      method: 'GET',
      path: '/keyed',
      query: '',
      requestId: 'req-1',
      clientIp: '127.0.0.1',
      route: {},
      service: { id: 'svc' },
      upstreamHeaders: { host: 'x', 'user-agent': 'autocannon', 'x-api-key': key, 'x-forwarded-for': '127.0.0.1', 'x-request-id': 'req-1' },
      responseHeaders: {},
      authenticated: null,
      shared: new Map(),
      body: null,
    });
}

/** The metrics of one proxied request: upstream latency, then the request's count and duration. */
async function requestMetrics(root: string): Promise<() => unknown> {
  const { createMetrics } = await load(root, 'observability/metrics.ts');
  const { createRequestMetrics } = await load(root, 'proxy/request-metrics.ts');
  const metrics = createRequestMetrics(createMetrics({ collectProcessMetrics: false }));
  const route = routes[7]!;
  let i = 0;
  return () => {
    // Durations spread over several buckets, as real ones are.
    const seconds = 0.0004 * (1 + (i++ & 15));
    metrics.upstreamLatency(route, service, seconds);
    metrics.request(route, service, 200, seconds * 1.1);
  };
}

function nsPerCall(fn: () => unknown): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - started) / iterations;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

for (const [name, build] of [
  ['before the plugins', beforePlugins],
  ['key-auth access, cached key', keyAuthAccess],
  ['metrics of one request', requestMetrics],
] as const) {
  const fns = { baseline: await build(roots.baseline), this: await build(roots.this) };
  const times: Record<'baseline' | 'this', number[]> = { baseline: [], this: [] };
  for (let round = 0; round < rounds; round++) {
    // Alternate which goes first, so warm-up and drift favour neither.
    const order = round % 2 === 0 ? (['baseline', 'this'] as const) : (['this', 'baseline'] as const);
    for (const which of order) times[which].push(nsPerCall(fns[which]));
  }
  const [b, t] = [median(times.baseline), median(times.this)];
  process.stdout.write(
    `${name}: baseline ${b.toFixed(0)} ns, this ${t.toFixed(0)} ns (medians of ${rounds} rounds × ${iterations}); delta ${(t - b).toFixed(0)} ns\n`,
  );
}
