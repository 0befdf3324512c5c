/**
 * `npm run bench:gap`: where the CPU a Portcullis node spends per request beyond the minimal proxy
 * goes, by category, from Linux `perf` samples of the whole process (kernel, Node's C++, V8's
 * runtime, builtins and garbage collector, JIT-compiled JavaScript by origin). `bench:profile`
 * sees only what V8 samples (JavaScript, with native time lumped as "(program)"); this sees all.
 *
 * The two proxies run pinned as in `npm run bench` (wrk on CPU 0; nginx and the proxies on CPU 1),
 * in ABBA pairs of wrk runs, each recorded with `perf record -F 4000` (one sample = 250 µs of CPU).
 * Portcullis runs from `dist/` (a module per file) so that its JavaScript can be told from undici's
 * and Node's; the request path is the same code as the bundle's. The table gives µs per request
 * per category for each run, and the median over the pairs of Portcullis − the reference.
 *
 * Needs `perf` (Debian: linux-perf) allowed to profile (kernel.perf_event_paranoid ≤ 2), wrk and
 * nginx (as `npm run bench`) and a built checkout (`npm run build`).
 * With `--symbols N` it also lists the N symbols whose µs per request differ most (median over the
 * pairs), to see which V8 runtime functions and builtins make a category's difference.
 * With `--reference headers` the reference is the minimal proxy sending the same headers as
 * Portcullis (its `/headers` mode): what is left is the gap that is not the gateway's headers.
 * With `--reference in-node` the reference is that same proxy running inside a whole Portcullis
 * node (`bench/minimal-node.ts`, the bench's `minimal-headers-in-node`): the process around the
 * request is then the same on both sides, and what is left is the gateway's request path alone.
 * With `--reference no-auth` the one node is profiled twice: key-auth on a cached key (`/keyed`, the
 * bench's `key-auth` target) against the route without auth (`/`): what key-auth costs per request.
 * Usage: npm run bench:gap -- [--pairs 5] [--seconds 5] [--symbols 40] [--reference minimal|headers|in-node|no-auth] [--build dist|bundle] [--out <file name under bench/results/>]
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startPortcullisCli, startScript, stop, type ChildServer } from './processes.js';
import { loadTarget } from './load-generator.js';
import { startNginxUpstream } from './nginx.js';

const { values } = parseArgs({
  options: {
    pairs: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    out: { type: 'string' },
    symbols: { type: 'string', default: '0' },
    reference: { type: 'string', default: 'minimal' },
    build: { type: 'string', default: 'dist' },
  },
});
const pairs = Number(values.pairs);
const seconds = Number(values.seconds);
if (!['minimal', 'headers', 'in-node', 'no-auth'].includes(values.reference)) {
  throw new Error('--reference is minimal, headers, in-node or no-auth');
}
if (values.build !== 'dist' && values.build !== 'bundle') throw new Error('--build is dist or bundle');
/** The bundle is what the CLI runs; dist/ (a module per file) names each function's file. */
const bundled = values.build === 'bundle';
const inNode = values.reference === 'in-node';
const withHeaders = values.reference === 'headers' || inNode;
const keyAuth = values.reference === 'no-auth';
/** The two targets' names in the tables: the bench targets' (`npm run bench`) for the same setups. */
const REFERENCE = keyAuth ? 'portcullis' : inNode ? 'minimal-headers-in-node' : withHeaders ? 'minimal-headers' : 'minimal';
const SUBJECT = keyAuth ? 'key-auth' : 'portcullis';
const TITLE = keyAuth
  ? `Portcullis (${values.build === 'bundle' ? 'the bundle' : 'dist/'}) with key-auth on a cached key and without auth, one node`
  : `Portcullis (${values.build === 'bundle' ? 'the bundle' : 'dist/'}) and the ${withHeaders ? "minimal proxy sending the gateway's headers" : 'minimal proxy'}${inNode ? ' inside a Portcullis node' : ''}`;
const US_PER_SAMPLE = 250; // perf record -F 4000
const work = mkdtempSync(join(tmpdir(), 'portcullis-gap-'));

/** A checkout whose bin/ runs this checkout's dist/ (module per file) instead of the bundle. */
function distCheckout(): string {
  const root = resolve('.');
  const dir = join(work, 'checkout');
  mkdirSync(join(dir, 'bin'), { recursive: true });
  for (const name of ['src', 'dist', 'node_modules', 'package.json']) symlinkSync(join(root, name), join(dir, name));
  writeFileSync(
    join(dir, 'bin/portcullis.js'),
    `import { main } from ${JSON.stringify(join(root, 'dist/cli/main.js'))};\nmain(process.argv.slice(2)).then((code) => { if (code) process.exitCode = code; });\n`,
  );
  return dir;
}

/** The category of one `perf report` row (shared object, symbol). */
function category(dso: string, symbol: string): string {
  if (dso.includes('kernel')) return 'kernel (TCP, syscalls)';
  if (dso.includes('JIT')) {
    if (/minimal-proxy|\/dist\/|\/dist-bundle\/portcullis\.mjs/.test(symbol)) return "JS: the proxy's own code";
    if (/\/dist-bundle\/chunk-/.test(symbol)) return 'JS: undici and other bundled libraries';
    // The node around the in-node reference runs from the sources (tsx): the gateway's code, idle there.
    if (/\/src\/|\/bench\//.test(symbol)) return "JS: the proxy's own code";
    if (/undici|wasm/.test(symbol)) return 'JS: undici (client, llhttp wasm)';
    if (/ node:/.test(symbol)) return 'JS: Node internals (http, net, streams, events)';
    return 'JS: other';
  }
  if (dso === 'node') {
    if (symbol.startsWith('Builtins_')) return 'V8 builtins (property access, calls, strings)';
    if (/^v8::internal::.*(Scaveng|Heap::|MarkCompact|Sweep|Evacuat|Marking|Concurrent|GC|Remembered|SlotSet|MemoryAllocator|Page)/.test(symbol)) {
      return 'V8 garbage collector';
    }
    if (symbol.startsWith('v8::internal::')) return 'V8 runtime (IC misses, property adds, API)';
    return "Node's C++ (HTTP parser, stream and socket glue, libuv)";
  }
  return 'libc and other libraries';
}

/** µs per request by category and by symbol (`dso symbol`), from one perf file. */
function categories(file: string, requests: number): { byCategory: Map<string, number>; bySymbol: Map<string, number> } {
  const text = execFileSync('perf', ['report', '-i', file, '--stdio', '--sort', 'dso,sym', '-n'], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const byCategory = new Map<string, number>();
  const bySymbol = new Map<string, number>();
  for (const line of text.split('\n')) {
    const row = /^\s*[0-9.]+%\s+(\d+)\s+(.+?)\s+\[[.k]\]\s+(.*)$/.exec(line);
    if (!row) continue;
    const [dso, symbol] = [row[2]!.trim(), row[3]!.trim()];
    const us = (Number(row[1]) * US_PER_SAMPLE) / requests;
    const name = category(dso, symbol);
    byCategory.set(name, (byCategory.get(name) ?? 0) + us);
    // JIT symbols carry the thread id and a tier marker (`*` optimized, `~` interpreted) that differ
    // between the processes: keep the function's name and place.
    const key = `${dso.replace(/^\[JIT\] tid \d+$/, '[JIT]')} ${symbol.replace(/^JS:[*~^+]?/, 'JS:')}`;
    bySymbol.set(key, (bySymbol.get(key) ?? 0) + us);
  }
  return { byCategory, bySymbol };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

const started: ChildServer[] = [];
const runs: { target: string; requests: number; byCategory: Map<string, number>; bySymbol: Map<string, number> }[] = [];
// perf's JIT symbols come from the maps Node writes with this flag (/tmp/perf-<pid>.map).
process.env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} --perf-basic-prof-only-functions`.trim();
try {
  const upstream = await startNginxUpstream(join(work, 'nginx'), '1');
  started.push(upstream);
  let reference: ChildServer | null = null;
  if (!keyAuth) {
    if (inNode) process.env['BENCH_IN_NODE'] = '1';
    reference = await startScript('minimal', 'bench/minimal-proxy.ts', [`http://127.0.0.1:${upstream.port}`], '1');
    delete process.env['BENCH_IN_NODE'];
    started.push(reference);
    if (withHeaders) reference = { ...reference, name: REFERENCE, path: '/headers' };
  }
  const [portcullis, keyed] = await startPortcullisCli(upstream.port, '1', { checkout: bundled ? '.' : distCheckout() });
  started.push(portcullis); // `keyed` is the same process
  const [ref, subject] = keyAuth ? [portcullis, keyed] : [reference!, portcullis];
  const order = Array.from({ length: pairs }, (_, i) => (i % 2 === 0 ? [ref, subject] : [subject, ref])).flat();
  for (const [i, target] of order.entries()) {
    await loadTarget(target, { seconds: 3, connections: 32, cpus: '0' });
    const file = join(work, `perf-${i}.data`);
    const recorder = spawn('perf', ['record', '-F', '4000', '-p', String(target.child.pid), '-o', file], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 300));
    const result = await loadTarget(target, { seconds, connections: 32, cpus: '0' });
    recorder.kill('SIGINT');
    await new Promise((r) => recorder.once('exit', r));
    runs.push({ target: target.name, requests: result.requests, ...categories(file, result.requests) });
    process.stdout.write(`${target.name}: ${Math.round(result.rps)} req/s, ${result.requests} requests\n`);
  }
} finally {
  for (const server of started.reverse()) await stop(server);
}

const names = [...new Set(runs.flatMap((r) => [...r.byCategory.keys()]))].sort();
const total = (r: (typeof runs)[number]) => [...r.byCategory.values()].reduce((a, b) => a + b, 0);
const deltas = (pick: (r: (typeof runs)[number]) => number) =>
  Array.from({ length: pairs }, (_, p) => {
    const [a, b] = [runs[2 * p]!, runs[2 * p + 1]!];
    const [mine, ref] = a.target === SUBJECT ? [a, b] : [b, a];
    return pick(mine) - pick(ref);
  });
const header = `| category | ${runs.map((r) => r.target).join(' | ')} | ${SUBJECT} − ${REFERENCE}, median of ${pairs} pairs |`;
const lines = [
  `# Per-request CPU by category: ${TITLE} (${new Date().toISOString()})`,
  '',
  `\`npm run bench:gap -- --pairs ${pairs} --seconds ${seconds} --reference ${values.reference} --build ${values.build}\`: perf record -F 4000 of each proxy process under wrk`,
  `(32 connections, pinned: wrk on CPU 0, nginx and the proxies on CPU 1), ABBA pairs; µs of CPU per request.`,
  ...(withHeaders ? ['The minimal proxy ran in its `/headers` mode: it sends the same request and response headers as Portcullis.'] : []),
  `Node ${process.version}; load average ${execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim()}.`,
  '',
  header,
  `|---|${runs.map(() => '---:').join('|')}|---:|`,
  ...names.map(
    (name) =>
      `| ${name} | ${runs.map((r) => (r.byCategory.get(name) ?? 0).toFixed(1)).join(' | ')} | ${median(deltas((r) => r.byCategory.get(name) ?? 0)).toFixed(1)} |`,
  ),
  `| **total** | ${runs.map((r) => total(r).toFixed(1)).join(' | ')} | **${median(deltas(total)).toFixed(1)}** |`,
  '',
];
const symbolCount = Number(values.symbols);
if (symbolCount > 0) {
  const symbols = [...new Set(runs.flatMap((r) => [...r.bySymbol.keys()]))];
  const ranked = symbols
    .map((symbol) => ({ symbol, delta: median(deltas((r) => r.bySymbol.get(symbol) ?? 0)) }))
    .sort((a, b) => Math.abs(b.delta) - Math.abs(a.delta))
    .slice(0, symbolCount);
  lines.push(
    `The ${symbolCount} symbols whose µs per request differ most (${SUBJECT} − ${REFERENCE}, median of ${pairs} pairs):`,
    '',
    `| symbol | ${SUBJECT} − ${REFERENCE} |`,
    '|---|---:|',
    ...ranked.map(({ symbol, delta }) => `| \`${symbol.replace(/\|/g, '\\|')}\` | ${delta.toFixed(2)} |`),
    '',
  );
}
process.stdout.write(`\n${lines.join('\n')}\n`);
if (values.out) {
  writeFileSync(join('bench/results', values.out), lines.join('\n'));
  process.stdout.write(`written to bench/results/${values.out}\n`);
}
rmSync(work, { recursive: true, force: true });
