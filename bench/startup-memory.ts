/**
 * `npm run bench:startup`: start-up time and resident memory of a node started through the real
 * CLI on an existing SQLite database (created by a first start, with a service and a route),
 * against a bare `node -e` process in the same run, optionally against a baseline checkout
 * (BENCH_BASE, its `dist/` built) — subjects interleaved round by round, medians reported.
 *
 * Per subject and `--workers` setting: ready = spawn until the `portcullis started` log line;
 * idle RSS = the sum over the process and its workers after BENCH_SETTLE s; load RSS = the highest
 * such sum while autocannon loads the proxy route for BENCH_LOAD s; modules = what one more start
 * loaded (ES modules through a loader hook plus `require.cache`: test/e2e/support/module-list.mjs).
 * RSS of the primary and of each worker is listed too. The 1M-keys-cached figure is the key-scale
 * benchmark's: it may set BENCH_NODE_CONFIG (extra YAML lines) to start the nodes with its settings.
 *
 * Environment: BENCH_ROUNDS (3), BENCH_SETTLE (s, 10), BENCH_LOAD (s, 5), BENCH_CONNECTIONS (32),
 * BENCH_WORKERS (`1,0`: 0 = the default, one per core), BENCH_BASE (a checkout), BENCH_NODE_CONFIG,
 * BENCH_NODE_ARGS / BENCH_BASE_NODE_ARGS (Node flags for this checkout's / the baseline's nodes,
 * space-separated, e.g. `--max-semi-space-size=1`; BENCH_BASE may then name this same checkout),
 * BENCH_OUT (the file name under bench/results/).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { freePort, post, startScript, stop, until } from './processes.js';

const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const settleMs = Number(process.env['BENCH_SETTLE'] ?? 10) * 1000;
const loadSeconds = Number(process.env['BENCH_LOAD'] ?? 5);
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? 32);
const workerSettings = (process.env['BENCH_WORKERS'] ?? '1,0').split(',').map(Number);
const extraConfig = process.env['BENCH_NODE_CONFIG'] ?? '';
const moduleHook = resolve('test/e2e/support/module-list.mjs');

interface Checkout {
  readonly name: string;
  readonly dir: string;
  readonly nodeArgs: readonly string[];
}
interface Sample {
  readyMs: number;
  idle: number[];
  load: number[];
  /** Requests per second under load (autocannon's average). */
  rps: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const mb = (kb: number) => (kb / 1024).toFixed(1);

/** Resident kB of `pid` (VmRSS), 0 once it is gone. */
function rssKb(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** `pid` and its children (the `--workers` processes), primary first. */
function processTree(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // gone
  }
  return [pid, ...children];
}

/** A data folder with a migrated database, a keyring, one service and one route; returns its config file and proxy port. */
async function prepare(checkout: Checkout, upstreamPort: number): Promise<{ configFile: string; proxyPort: number }> {
  const dir = mkdtempSync(join(tmpdir(), `portcullis-startup-${checkout.name}-`));
  const [proxyPort, adminPort] = [await freePort(), await freePort()];
  const configFile = join(dir, 'portcullis.yaml');
  const lines = [`sqlite_path: ${join(dir, 'portcullis.db')}`, `proxy_listen: 127.0.0.1:${proxyPort}`, 'proxy_listen_tls: off'];
  lines.push(`admin_listen: 127.0.0.1:${adminPort}`, 'log_level: info', 'log_format: json', extraConfig, '');
  writeFileSync(configFile, lines.join('\n'));
  const node = await startNode(checkout, configFile, 1, []);
  const admin = `http://127.0.0.1:${adminPort}`;
  await post(`${admin}/services`, { name: 'bench', url: `http://127.0.0.1:${upstreamPort}` });
  await post(`${admin}/services/bench/routes`, { name: 'bench', paths: ['/'] });
  await stopChild(node.child);
  return { configFile, proxyPort };
}

/** Spawns the CLI and resolves once it logs `portcullis started`, with the time that took. */
async function startNode(checkout: Checkout, configFile: string, workers: number, nodeArgs: string[], env: Record<string, string> = {}) {
  const started = performance.now();
  const child = spawn(process.execPath, [...checkout.nodeArgs, ...nodeArgs, join(checkout.dir, 'bin/portcullis.js'), 'start', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env, PORTCULLIS_WORKERS: String(workers) },
  });
  const lines = createInterface({ input: child.stdout! });
  const readyMs = await new Promise<number>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`${checkout.name}: not started within 60 s`)), 60_000);
    child.once('exit', (code) => reject(new Error(`${checkout.name} exited with ${code} before it started`)));
    lines.on('line', (line) => {
      if (line.includes('"portcullis started"')) {
        clearTimeout(timer);
        resolveReady(performance.now() - started);
      }
    });
  });
  return { child, readyMs };
}

async function stopChild(child: ChildProcess): Promise<void> {
  await stop({ name: 'node', port: 0, child });
}

/** One start: ready time, idle RSS per process, highest RSS per process under load. */
async function measure(checkout: Checkout, configFile: string, proxyPort: number, workers: number): Promise<Sample> {
  const { child, readyMs } = await startNode(checkout, configFile, workers, []);
  try {
    await sleep(settleMs);
    const pids = processTree(child.pid!);
    const idle = pids.map(rssKb);
    const load = idle.map(() => 0);
    const sampler = setInterval(() => pids.forEach((pid, i) => (load[i] = Math.max(load[i]!, rssKb(pid)))), 250);
    const result = await autocannon({ url: `http://127.0.0.1:${proxyPort}/`, connections, duration: loadSeconds });
    clearInterval(sampler);
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${checkout.name}: ${result.non2xx} failed responses, ${result.errors} errors under load`);
    return { readyMs, idle, load, rps: result.requests.average };
  } finally {
    await stopChild(child);
  }
}

/** How many modules (ours, dependencies', built-ins) one start loaded; the dependency names with most files. */
async function modules(checkout: Checkout, configFile: string): Promise<{ total: number; packages: number; top: string }> {
  const list = join(mkdtempSync(join(tmpdir(), 'portcullis-modules-')), 'modules.txt');
  const { child } = await startNode(checkout, configFile, 1, ['--import', moduleHook], { PORTCULLIS_MODULE_LIST: list });
  try {
    child.kill('SIGUSR2');
    await until(async () => existsSync(list));
  } finally {
    await stopChild(child);
  }
  const paths = readFileSync(list, 'utf8').trim().split('\n');
  const counts = new Map<string, number>();
  for (const path of paths) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
    if (pkg) counts.set(pkg, (counts.get(pkg) ?? 0) + 1);
  }
  const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 6);
  return { total: paths.length, packages: counts.size, top: top.map(([p, n]) => `${p} ${n}`).join(', ') };
}

/** A bare Node process's RSS after the same settle time. */
async function bare(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await sleep(settleMs);
  const kb = rssKb(child.pid!);
  await stopChild(child);
  return kb;
}

const args = (name: string) => (process.env[name] ?? '').split(' ').filter(Boolean);
const checkouts: Checkout[] = [{ name: 'this', dir: resolve('.'), nodeArgs: args('BENCH_NODE_ARGS') }];
if (process.env['BENCH_BASE']) checkouts.push({ name: 'base', dir: resolve(process.env['BENCH_BASE']), nodeArgs: args('BENCH_BASE_NODE_ARGS') });
const upstream = await startScript('upstream', 'bench/upstream.ts', [], null);
try {
  const prepared = new Map<string, { configFile: string; proxyPort: number }>();
  for (const checkout of checkouts) prepared.set(checkout.name, await prepare(checkout, upstream.port));
  const samples = new Map<string, Sample[]>();
  const bares: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // Alternate the order so neither subject always runs right after the other's load.
    const order = round % 2 === 0 ? checkouts : [...checkouts].reverse();
    bares.push(await bare());
    for (const workers of workerSettings) {
      for (const checkout of order) {
        const { configFile, proxyPort } = prepared.get(checkout.name)!;
        const sample = await measure(checkout, configFile, proxyPort, workers);
        const key = `${checkout.name} --workers ${workers}`;
        samples.set(key, [...(samples.get(key) ?? []), sample]);
        const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
        process.stderr.write(
          `round ${round + 1}: ${key}: ready ${sample.readyMs.toFixed(0)} ms, idle ${mb(sum(sample.idle))} MB, load ${mb(sum(sample.load))} MB, ${sample.rps.toFixed(0)} req/s\n`,
        );
      }
    }
  }
  const moduleCounts = new Map<string, Awaited<ReturnType<typeof modules>>>();
  for (const checkout of checkouts) moduleCounts.set(checkout.name, await modules(checkout, prepared.get(checkout.name)!.configFile));

  const bareKb = median(bares);
  const rows = [...samples].map(([key, list]) => {
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const idle = median(list.map((s) => sum(s.idle)));
    const perProcess = list[0]!.idle.map((_, i) => mb(median(list.map((s) => s.idle[i] ?? 0)))).join(' + ');
    return `| ${key} | ${median(list.map((s) => s.readyMs)).toFixed(0)} | ${mb(idle)} | ${(idle / bareKb).toFixed(2)}× | ${perProcess} | ${mb(median(list.map((s) => sum(s.load))))} | ${median(list.map((s) => s.rps)).toFixed(0)} |`;
  });
  const markdown = [
    `# Start-up and memory (${new Date().toISOString()})`,
    '',
    `The CLI node on an existing SQLite database; ${rounds} rounds, subjects interleaved, medians. Settle ${settleMs / 1000} s before idle RSS;`,
    `load: autocannon, ${connections} connections, ${loadSeconds} s on a proxied route. Bare \`node -e\` process: ${mb(bareKb)} MB.`,
    'The machine was shared with other work (two cores): compare the rows of one run, not with other runs.',
    '',
    ...checkouts.filter((c) => c.nodeArgs.length).map((c) => `Node flags of ${c.name}: \`${c.nodeArgs.join(' ')}\`.`),
    '',
    '| subject | ready ms | idle RSS MB | × bare node | idle RSS per process (primary + workers) | RSS under load MB | req/s under load |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '| checkout | modules loaded at start | packages | most files |',
    '|---|---|---|---|',
    ...[...moduleCounts].map(([name, m]) => `| ${name} | ${m.total} | ${m.packages} | ${m.top} |`),
    '',
  ].join('\n');
  const dir = 'bench/results';
  mkdirSync(dir, { recursive: true });
  const file = join(dir, process.env['BENCH_OUT'] ?? `startup-${new Date().toISOString().slice(0, 10)}.md`);
  writeFileSync(file, markdown);
  process.stdout.write(`${markdown}\nwritten to ${file}\n`);
} finally {
  await stop(upstream);
}
