/**
 * Incremental configuration updates (issue 12 §2): two in-process nodes (real HTTP on loopback,
 * each on its own database), one applying route changes as updates (the product), one rebuilding
 * the whole proxy state on every change (`runtimeUpdates: false`, the behaviour before).
 *
 * 1. Both get BENCH_ROUTES host-less prefix routes (`/api/v1/resource<i>`, default 10,000): the
 *    updating node through the Admin API one by one, timed per batch of 1,000 (the series must stay
 *    flat); the reference node through its store (its one-by-one series is only timed for the first
 *    BENCH_FULL_SERIES routes, default 2,000: it grows with the count).
 * 2. Then BENCH_ROUNDS rounds (default 7), interleaved: POST one more route on each node and poll
 *    its proxy until the route answers; reported: POST → first 200 from the proxy (the Admin API
 *    answers a write once the proxy state has it, so the poll normally succeeds at once) — medians.
 *
 * 3. In process, without HTTP or database: the state step alone at BENCH_ROUTES routes — a full
 *    `buildRuntimeState` against `updateRuntimeState` adding one route (medians, interleaved).
 *
 * BENCH_DIALECT=postgres uses PORTCULLIS_TEST_PG_URL (a fresh database each). The machine may be
 * shared: compare the two nodes of one run, not runs. Prints the figures and writes
 * bench/results/incremental-config-<date>.md.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { startTestNode, type TestNode } from '../test/support/running-node.js';
import type { DialectName } from '../src/store/dialect.js';
import { BUILTIN_PLUGINS, createPluginRegistry } from '../src/plugins/registry.js';
import { buildRuntimeState, type RuntimeState } from '../src/proxy/runtime-state.js';
import { updateRuntimeState } from '../src/proxy/runtime-state-update.js';
import { createEntityFactory } from '../src/proxy/testing/entities.js';

const ROUTES = Number(process.env['BENCH_ROUTES'] ?? 10_000);
const FULL_SERIES = Math.min(ROUTES, Number(process.env['BENCH_FULL_SERIES'] ?? 2_000));
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 7);
const DIALECT = (process.env['BENCH_DIALECT'] ?? 'sqlite') as DialectName;
const BATCH = 1000;

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(1)} ms`;

function proxyStatus(node: TestNode, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: node.node.proxyAddress.port, path }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function postRoute(node: TestNode, serviceId: string, i: number): Promise<void> {
  const res = await node.call('POST', '/routes', { name: `resource${i}`, paths: [`/api/v1/resource${i}`], service: { id: serviceId } });
  if (res.status !== 201) throw new Error(`POST /routes → ${res.status} ${res.text}`);
}

/** POSTs routes [from, to) one by one; the time of each batch of 1,000 (ms). */
async function loadOneByOne(node: TestNode, serviceId: string, from: number, to: number): Promise<number[]> {
  const series: number[] = [];
  for (let start = from; start < to; start += BATCH) {
    const t0 = performance.now();
    for (let i = start; i < Math.min(to, start + BATCH); i++) await postRoute(node, serviceId, i);
    series.push(performance.now() - t0);
  }
  return series;
}

/** POST of route `i` → the proxy answers it (polled every 0.1 ms, at most 10 s); ms. */
async function timeToServe(node: TestNode, serviceId: string, i: number): Promise<number> {
  const t0 = performance.now();
  await postRoute(node, serviceId, i);
  while ((await proxyStatus(node, `/api/v1/resource${i}`)) !== 200) {
    if (performance.now() - t0 > 10_000) throw new Error(`route ${i} not served after 10 s`);
  }
  return performance.now() - t0;
}

/** Section 3: ms per full build and per one-route update, at ROUTES routes (medians of interleaved rounds). */
function stateStep(): { build: number; update: number } {
  const make = createEntityFactory();
  const service = make.service({ name: 'bench' });
  const routes = Array.from({ length: ROUTES }, (_, i) => make.route({ name: `r${i}`, paths: [`/api/v1/resource${i}`], service: { id: service.id } }));
  const build = () =>
    buildRuntimeState({ services: [service], routes, plugins: [], consumers: [] }, createPluginRegistry(BUILTIN_PLUGINS), {
      logger: pino({ level: 'silent' }),
    });
  const builds: number[] = [];
  const updates: number[] = [];
  let state: RuntimeState = build();
  for (let round = 0; round < 7; round++) {
    let t0 = performance.now();
    state = build();
    builds.push(performance.now() - t0);
    for (let k = 0; k < 20; k++) {
      const route = make.route({ name: `new${round}-${k}`, paths: [`/api/v1/new${round}-${k}`], service: { id: service.id } });
      t0 = performance.now();
      const next = updateRuntimeState(state, { services: { changed: [], removed: [] }, routes: { changed: [route], removed: [] } });
      updates.push(performance.now() - t0);
      if (next === null) throw new Error('the update fell back');
      state = next;
    }
  }
  return { build: median(builds), update: median(updates) };
}

const step = stateStep();
const upstream = createServer((_req, res) => res.end('ok'));
await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
const quiet = { config: { log_level: 'warn' as const } };
const updating = await startTestNode(DIALECT, quiet);
const rebuilding = await startTestNode(DIALECT, { ...quiet, runtimeUpdates: false });
try {
  const serviceOf = async (node: TestNode) => (await node.call('POST', '/services', { name: 'bench', url: upstreamUrl })).body['id'] as string;
  const [updatingService, rebuildingService] = [await serviceOf(updating), await serviceOf(rebuilding)];

  process.stdout.write(`loading ${ROUTES} routes one by one through the Admin API (updating node)…\n`);
  const updatingSeries = await loadOneByOne(updating, updatingService, 0, ROUTES);
  process.stdout.write(`loading ${FULL_SERIES} routes one by one (rebuilding node), then the rest through its store…\n`);
  const rebuildingSeries = await loadOneByOne(rebuilding, rebuildingService, 0, FULL_SERIES);
  for (let i = FULL_SERIES; i < ROUTES; i++) {
    await rebuilding.node.store.routes.insert({ name: `resource${i}`, paths: [`/api/v1/resource${i}`], service: { id: rebuildingService } });
  }
  await rebuilding.node.runtime.settled();

  const rounds = { updating: [] as number[], rebuilding: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    rounds.updating.push(await timeToServe(updating, updatingService, ROUTES + r));
    rounds.rebuilding.push(await timeToServe(rebuilding, rebuildingService, ROUTES + r));
  }
  const counts = { updating: updating.node.runtime.counts(), rebuilding: rebuilding.node.runtime.counts() };

  const lines = [
    `# Incremental configuration updates (${new Date().toISOString()})`,
    '',
    `${DIALECT}, in-process nodes, ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(2)} at the end (a shared machine: compare the columns, not runs).`,
    '',
    `## POST of route ${ROUTES + 1} → served by the proxy (${ROUNDS} rounds, interleaved; median, min–max)`,
    '',
    '| node | median | min | max |',
    '|---|---|---|---|',
    ...(['updating', 'rebuilding'] as const).map((k) => `| ${k} | ${ms(median(rounds[k]))} | ${ms(Math.min(...rounds[k]))} | ${ms(Math.max(...rounds[k]))} |`),
    '',
    `Ratio rebuilding / updating: ${(median(rounds.rebuilding) / median(rounds.updating)).toFixed(1)}×.`,
    '',
    '## Loading routes one by one through the Admin API: time per 1,000 routes',
    '',
    '| routes | updating node | rebuilding node |',
    '|---|---|---|',
    ...updatingSeries.map(
      (t, b) => `| ${b * BATCH}–${Math.min(ROUTES, (b + 1) * BATCH)} | ${ms(t)} | ${rebuildingSeries[b] === undefined ? '—' : ms(rebuildingSeries[b]!)} |`,
    ),
    '',
    `## The state step alone (in process, ${ROUTES} routes; medians)`,
    '',
    `Full build ${ms(step.build)}; one-route update ${(step.update * 1000).toFixed(0)} µs (${(step.build / step.update).toFixed(0)}× less).`,
    '',
    `State swaps: updating node ${JSON.stringify(counts.updating)}, rebuilding node ${JSON.stringify(counts.rebuilding)}.`,
  ];
  const report = lines.join('\n') + '\n';
  process.stdout.write(report);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(`bench/results/incremental-config-${new Date().toISOString().replace(/[:.]/g, '-')}.md`, report);
} finally {
  await updating.close();
  await rebuilding.close();
  upstream.close();
}
