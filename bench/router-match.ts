/**
 * The router micro-benchmark (issue 12 §1): `createRouter` + `match` called directly, for
 * host-less prefix routes `/api/v1/resource<i>` at 10, 1k, 10k and 100k routes: build time, and
 * match p50/p99 for the last route, the first route and a path no route matches. The old linear
 * matcher (`src/proxy/testing/reference-router.ts`) runs in the same process up to 10k routes
 * (it is slow) for the ratios. A mixed set (exact hosts, wildcard hosts, regexes, methods) shows
 * the cost holds there too. Run: `npm run bench:router` (`-- --sizes 10,1000 --samples 20000`).
 *
 * Builds are timed in CPU time (see `timeBuild`). A match is timed alone, in wall time, with
 * `process.hrtime.bigint()` (the timer's own cost, printed as "timer", is included in every figure),
 * so a p99 on a loaded machine includes preemption: read it beside the p50 and the load. On the
 * shared machines here, stalls of ~15 µs come in bursts (every 15–40 calls for a while) and hit a
 * plain loop timed the same way as much as a match: a case timed in such a burst shows a p99 of
 * 14–17 µs with its p50 unchanged. The builds' garbage is collected before the matches are timed
 * (`--expose-gc`, passed by the npm script and `npm run bench`; then a 300 ms pause for the
 * collector's concurrent sweeping), so the timing does not pay for the builds. Figures are
 * printed, never asserted (the property tests hold the router to the reference's answers).
 */
import { parseArgs } from 'node:util';
import type { Route } from '../src/entities/routes.js';
import type { Service } from '../src/entities/services.js';
import { createRouter, type Router } from '../src/proxy/router.js';
import { createReferenceRouter } from '../src/proxy/testing/reference-router.js';
import { createEntityFactory } from '../src/proxy/testing/entities.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10,1000,10000,100000' },
    samples: { type: 'string', default: '20000' },
    'reference-max': { type: 'string', default: '10000' },
  },
});
const sizes = values.sizes.split(',').map(Number);
const samples = Number(values.samples);
const referenceMax = Number(values['reference-max']);
const NO_SERVICES = new Map<string, Service>();

interface Request {
  readonly method: string;
  readonly host: string | undefined;
  readonly path: string;
}

/** p50 and p99 of one request's match, in µs; stops early past `budgetMs` (the reference at 10k). */
function timeMatch(router: Router, request: Request, budgetMs = 3000): { p50: number; p99: number } {
  const { method, host, path } = request;
  for (let i = 0; i < 2000; i++) router.match(method, host, path, {});
  const times: number[] = [];
  const deadline = performance.now() + budgetMs;
  for (let i = 0; i < samples && (i < 200 || performance.now() < deadline); i++) {
    const start = process.hrtime.bigint();
    router.match(method, host, path, {});
    times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(times.length * 0.5)]!, p99: times[Math.floor(times.length * 0.99)]! };
}

/**
 * Median build time in ms over a few builds after a warm-up one (one build at 100k), as CPU time of this process
 * (`process.cpuUsage`, user + system): on a shared machine the wall time mostly measures the others.
 */
function timeBuild(build: () => Router, routes: number): { ms: number; min: number; router: Router } {
  const runs = routes >= 100_000 ? 1 : 7;
  const times: number[] = [];
  // One build first, not counted: the first run pays the JIT (at 100k, the smaller sizes warmed it).
  let router: Router | null = routes >= 100_000 ? null : build();
  for (let i = 0; i < runs; i++) {
    const start = process.cpuUsage();
    router = build();
    const used = process.cpuUsage(start);
    times.push((used.user + used.system) / 1000);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)]!, min: times[0]!, router: router! };
}

/**
 * Collects the garbage of the builds before matches are timed, when the script runs with
 * `--expose-gc`, then sleeps 300 ms so the collector's concurrent sweeping ends before the timing.
 */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
}

function timerCost(): number {
  const times: number[] = [];
  for (let i = 0; i < 20000; i++) {
    const start = process.hrtime.bigint();
    times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  return times.sort((a, b) => a - b)[10000]!;
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const ratio = (ref: number, now: number) => `${fmt(ref / now)}×`;

function runCases(title: string, routes: Route[], cases: Record<string, Request>, withReference: boolean): string[] {
  const rows: string[] = [];
  const built = timeBuild(() => createRouter(routes, NO_SERVICES), routes.length);
  const ref = withReference ? timeBuild(() => createReferenceRouter(routes, NO_SERVICES), routes.length) : null;
  collectGarbage();
  // Build: median in the p50 column, fastest of the runs in the p99 column (CPU ms, see timeBuild).
  rows.push(
    `| ${title} | build (CPU, median / min) | ${fmt(built.ms)} ms | ${fmt(built.min)} ms | ${ref ? `${fmt(ref.ms)} ms` : '—'} | ${ref ? `${fmt(ref.min)} ms` : '—'} | ${ref ? ratio(ref.ms, built.ms) : ''} |`,
  );
  for (const [name, request] of Object.entries(cases)) {
    const now = timeMatch(built.router, request);
    const before = ref ? timeMatch(ref.router, request) : null;
    rows.push(
      `| ${title} | ${name} | ${fmt(now.p50)} µs | ${fmt(now.p99)} µs | ${before ? `${fmt(before.p50)} µs` : '—'} | ${before ? `${fmt(before.p99)} µs` : '—'} | ${before ? ratio(before.p99, now.p99) : ''} |`,
    );
  }
  return rows;
}

const make = createEntityFactory();
const plainRoutes = (n: number) => Array.from({ length: n }, (_, i) => make.route({ paths: [`/api/v1/resource${i}`] }));

/** Mixed: a third exact hosts, a third wildcard hosts, a third host-less; 1 in 200 a regex path; 1 in 10 a method. */
function mixedRoutes(n: number): Route[] {
  return Array.from({ length: n }, (_, i) => {
    const hosts = i % 3 === 0 ? [`h${i % 97}.example.com`] : i % 3 === 1 ? [`*.w${i % 53}.example.com`] : [];
    const path = i % 200 === 7 ? `~/re${i}/\\d+$` : `/svc${i}/v${i % 4}`;
    return make.route({ hosts, paths: [path], methods: i % 10 === 0 ? ['GET'] : [] });
  });
}

const lines = [`Node ${process.version}, ${samples} samples per case, timer ${fmt(timerCost())} µs (included)`, ''];
lines.push('| routes | case | p50 | p99 | reference p50 | reference p99 | speed-up (p99) |', '|---|---|---|---|---|---|---|');
for (const n of sizes) {
  const routes = plainRoutes(n);
  const at = (i: number): Request => ({ method: 'GET', host: 'gateway.test', path: `/api/v1/resource${i}` });
  lines.push(
    ...runCases(
      String(n),
      routes,
      { 'last route': at(n - 1), 'first route': at(0), 'no match': { method: 'GET', host: 'gateway.test', path: '/api/v2/none' } },
      n <= referenceMax,
    ),
  );
}
const mixedSize = Math.min(10_000, Math.max(...sizes));
const mixed = mixedRoutes(mixedSize);
const exactRoute = lastOf(mixed, 0);
const wildRoute = lastOf(mixed, 1);
const mixedCases: Record<string, Request> = {
  'exact host': { method: 'GET', host: exactRoute.hosts[0]!, path: `${exactRoute.paths[0]}/x` },
  'wildcard host': { method: 'GET', host: `a${wildRoute.hosts[0]!.slice(1)}`, path: `${wildRoute.paths[0]}/x` },
  'host-less': { method: 'GET', host: 'gateway.test', path: `${lastOf(mixed, 2).paths[0]}/x` },
  'regex (host-less)': { method: 'GET', host: 'gateway.test', path: `${lastRegex(mixed).paths[0]!.slice(1, -6)}/42` },
  'no match': { method: 'GET', host: 'a.w1.example.com', path: '/nothing/here' },
};
lines.push(...runCases(`mixed ${mixedSize}`, mixed, mixedCases, mixedSize <= referenceMax));
console.log(lines.join('\n'));

/** The last mixed route of host class `cls` (0 exact, 1 wildcard, 2 none) with a plain path, without methods. */
function lastOf(routes: Route[], cls: number): Route {
  for (let i = routes.length - 1; i >= 0; i--) if (i % 3 === cls && !routes[i]!.paths[0]!.startsWith('~') && routes[i]!.methods.length === 0) return routes[i]!;
  throw new Error('no such route');
}

function lastRegex(routes: Route[]): Route {
  for (let i = routes.length - 1; i >= 0; i--) if (routes[i]!.paths[0]!.startsWith('~') && routes[i]!.hosts.length === 0) return routes[i]!;
  throw new Error('no regex route');
}
