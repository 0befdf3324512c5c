/**
 * Regex routes on RE2 against V8's backtracking engine: what a normal regex route costs per
 * lookup on each engine, and what crafted 30-character paths cost against patterns that
 * backtrack catastrophically. Run: `node --import tsx bench/regex-routes.ts [--seconds 1] [--cap 5]`.
 * V8 runs each evil case in a child process killed after `--cap` seconds. Figures are printed,
 * never asserted (the router's tests assert the bound).
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { compileRoutePattern } from '../src/entities/route-pattern.js';
import { PathBytes } from '../src/proxy/route-entry.js';
import { createRouter } from '../src/proxy/router.js';
import { createEntityFactory } from '../src/proxy/testing/entities.js';
import { CATASTROPHIC_PATTERNS } from '../src/proxy/testing/catastrophic-patterns.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '1' }, cap: { type: 'string', default: '5' } } });
const seconds = Number(values.seconds);
const cap = Number(values.cap);

/** Microseconds per call of `op(i)`, over about `seconds` after a warm-up. */
function microsPerOp(op: (i: number) => unknown): number {
  const run = (ms: number) => {
    const end = performance.now() + ms;
    let done = 0;
    const started = performance.now();
    while (performance.now() < end) {
      for (let i = 0; i < 1000; i++) op(done + i);
      done += 1000;
    }
    return ((performance.now() - started) * 1000) / done;
  };
  run(seconds * 100);
  return run(seconds * 1000);
}

// Distinct paths, so neither engine answers from a cache of the last subject.
const paths = Array.from({ length: 4096 }, (_, i) => `/users/${100000 + i}/orders`);
const source = '/users/\\d+/orders';

const v8 = new RegExp(`^(?:${source})`);
const re2 = compileRoutePattern(source);
const v8Single = microsPerOp((i) => v8.exec(paths[i & 4095]!)![0].length);
const re2Single = microsPerOp((i) => {
  re2.lastIndex = 0;
  return re2.test(new PathBytes(paths[i & 4095]!).bytes) ? re2.lastIndex : -1;
});

const sources = Array.from({ length: 10 }, (_, k) => (k === 9 ? source : `/r${k}/\\d+`));
const v8Ten = sources.map((s) => new RegExp(`^(?:${s})`));
const re2Ten = sources.map(compileRoutePattern);
const v8TenCost = microsPerOp((i) => {
  const path = paths[i & 4095]!;
  for (const re of v8Ten) {
    const m = re.exec(path);
    if (m !== null) return m[0].length;
  }
  return -1;
});
const re2TenCost = microsPerOp((i) => {
  const bytes = new PathBytes(paths[i & 4095]!);
  for (const re of re2Ten) {
    re.lastIndex = 0;
    if (re.test(bytes.bytes)) return re.lastIndex;
  }
  return -1;
});

const make = createEntityFactory();
const regexRouter = createRouter(
  sources.map((s) => make.route({ paths: [`~${s}`] })),
  new Map(),
);
const plainRouter = createRouter(
  Array.from({ length: 10 }, (_, k) => make.route({ paths: [k === 9 ? '/users' : `/p${k}`] })),
  new Map(),
);
const routerRegex = microsPerOp((i) => regexRouter.match('GET', 'h', paths[i & 4095]!, {}));
const routerPlain = microsPerOp((i) => plainRouter.match('GET', 'h', paths[i & 4095]!, {}));

console.log(`Node ${process.version}, ${seconds} s per case\n`);
console.log('| case | V8 µs | RE2 µs | RE2 ÷ V8 |');
console.log('| --- | ---: | ---: | ---: |');
const row = (name: string, a: number, b: number) => console.log(`| ${name} | ${a.toFixed(3)} | ${b.toFixed(3)} | ${(b / a).toFixed(1)} |`);
row('one regex route, matching', v8Single, re2Single);
row('ten regex routes, the last matching', v8TenCost, re2TenCost);
console.log(`\nrouter.match, ten regex routes (RE2): ${routerRegex.toFixed(3)} µs; ten plain routes: ${routerPlain.toFixed(3)} µs\n`);

console.log('| pattern | path length | V8 | RE2 µs |');
console.log('| --- | ---: | ---: | ---: |');
for (const [pattern, path] of CATASTROPHIC_PATTERNS) {
  const re = compileRoutePattern(pattern);
  const re2Cost = microsPerOp(() => {
    re.lastIndex = 0;
    return re.test(new PathBytes(path).bytes);
  });
  const script = `const re = new RegExp(${JSON.stringify(`^(?:${pattern})`)}); const t = performance.now(); re.exec(${JSON.stringify(path)}); console.log(performance.now() - t);`;
  const child = spawnSync(process.execPath, ['-e', script], { timeout: cap * 1000, encoding: 'utf8' });
  const v8Cost = child.status === 0 ? `${Number(child.stdout).toFixed(1)} ms` : `> ${cap} s (killed)`;
  console.log(`| \`${pattern}\` | ${path.length} | ${v8Cost} | ${re2Cost.toFixed(2)} |`);
}
