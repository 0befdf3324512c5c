/**
 * `npm run bench:profile`: where a Portcullis node spends its CPU per request. Starts the upstream
 * and the real CLI node (dist/, as `npm run bench` does) with `--cpu-prof`, loads `/` (no auth)
 * or `/keyed` (key-auth, cached key) with wrk (autocannon without it), stops the node so it writes
 * its profile, and prints the functions with the most self time, in µs per request, grouped by
 * file. The raw `.cpuprofile` stays in .tmp/profiles/ (git-ignored) for Chrome DevTools.
 * Usage: npm run bench:profile -- [--keyed] [--seconds 10] [--top 30] [--checkout <dir>]
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { hasTaskset, startPortcullisCli, startScript, stop, type ChildServer } from './processes.js';
import { loadTarget } from './load-generator.js';
import { selfTimes, readProfile } from './cpu-profile.js';

const { values } = parseArgs({
  options: {
    keyed: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '10' },
    top: { type: 'string', default: '30' },
    checkout: { type: 'string', default: '.' },
  },
});
const seconds = Number(values.seconds);
const pin = process.env['BENCH_PIN'] !== '0' && availableParallelism() >= 2 && hasTaskset();
const dir = resolve('.tmp/profiles', new Date().toISOString().replace(/[:.]/g, '-'));
mkdirSync(dir, { recursive: true });

const started: ChildServer[] = [];
let requests = 0;
let loadEnded = 0;
let exited = 0;
try {
  // Pinned when possible: the node alone on CPU 1, the upstream and the load generator on CPU 0, so
  // that no other process's time is sampled as the node's (V8 samples wall time).
  const upstream = await startScript('upstream', 'bench/upstream.ts', [], pin ? '0' : null);
  started.push(upstream);
  const [plain, keyed] = await startPortcullisCli(upstream.port, pin ? '1' : null, {
    checkout: values.checkout,
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`, ...(process.env['BENCH_NODE_IMPORT'] ? ['--import', process.env['BENCH_NODE_IMPORT']] : [])],
  });
  started.push(plain);
  const target = values.keyed ? keyed : plain;
  const cpus = pin ? '0' : null;
  await loadTarget(target, { seconds: 2, connections: 32, cpus });
  const result = await loadTarget(target, { seconds, connections: 32, cpus });
  requests = result.requests;
  loadEnded = performance.now();
  process.stdout.write(`${target.name}: ${Math.round(result.rps)} req/s, ${requests} requests (${result.tool})\n`);
} finally {
  for (const server of started.reverse()) await stop(server);
  exited = performance.now();
}

const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
if (file === undefined) throw new Error(`no profile written in ${dir}`);
const profile = readProfile(resolve(dir, file));
// The measured run: `seconds` long, ending where the shutdown (flushes, closing the database) began.
const window = { seconds, beforeEnd: (exited - loadEnded) / 1000 };
const rows = selfTimes(profile, Number(values.top), window);
const busy = selfTimes(profile, Infinity, window).reduce((sum, row) => (row.name === '(idle)' ? sum : sum + row.micros), 0);
process.stdout.write(`busy (all but idle): ${((busy / requests) * 1000).toFixed(0)} ns/req\n`);
for (const row of rows) process.stdout.write(`${((row.micros / requests) * 1000).toFixed(0).padStart(6)} ns/req  ${row.name}  ${row.where}\n`);
process.stdout.write(`profile: ${resolve(dir, file)}\n`);
