/**
 * `npm run bench`: Portcullis's proxy against a minimal undici reverse proxy and the bare
 * upstream, each in its own process, loaded by autocannon from this one. Targets are run in
 * rotating order for several rounds and summarised by their medians (see bench/README.md).
 *
 * Environment: BENCH_DURATION (s per run, 10), BENCH_CONNECTIONS (50), BENCH_ROUNDS (3),
 * BENCH_WARMUP (s per target, 3), BENCH_PORTCULLIS (`cli`: the real CLI configured through the
 * Admin API, default, which also measures a key-auth route of the same node with a cached key;
 * `in-process`: the proxy built directly from plain entities),
 * BENCH_PIN (`1` default when taskset exists and there are ≥ 2 CPUs: load generator on CPU 0,
 * servers on CPU 1; `0` lets the scheduler place everything), BENCH_BASELINE (a path to another
 * checkout of Portcullis, built: its node runs beside this one as targets `baseline` and
 * `baseline-key-auth`, so a change is compared with the code before it in the same run).
 */
import autocannon, { type Result } from 'autocannon';
import { availableParallelism, cpus } from 'node:os';
import { execFileSync } from 'node:child_process';
import { cpuSeconds, startPortcullisCli, startScript, stop, type ChildServer } from './processes.js';
import { ratios, summarize, toMarkdown, writeResults, type Run } from './report.js';

const duration = Number(process.env['BENCH_DURATION'] ?? 10);
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? 50);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const warmup = Number(process.env['BENCH_WARMUP'] ?? 3);
const mode = process.env['BENCH_PORTCULLIS'] === 'in-process' ? 'in-process' : 'cli';
const pin = process.env['BENCH_PIN'] !== '0' && availableParallelism() >= 2 && hasTaskset();
const serverCpus = pin ? '1' : null;
const baselineCheckout = process.env['BENCH_BASELINE'] || null;

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function load(server: ChildServer, seconds: number): Promise<Result> {
  return autocannon({
    url: `http://127.0.0.1:${server.port}${server.path ?? '/'}`,
    headers: { ...server.headers },
    connections,
    duration: seconds,
    pipelining: 1,
  });
}

const started: ChildServer[] = [];
try {
  if (pin) execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' });
  const upstream = await startScript('upstream', 'bench/upstream.ts', [], serverCpus);
  started.push(upstream);
  const origin = `http://127.0.0.1:${upstream.port}`;
  const minimal = await startScript('minimal', 'bench/minimal-proxy.ts', [origin], serverCpus);
  started.push(minimal);
  // The CLI mode also measures key-auth: a route of the same node behind key-auth, with a cached key.
  const portcullisTargets =
    mode === 'cli'
      ? await startPortcullisCli(upstream.port, serverCpus)
      : [await startScript('portcullis', 'bench/portcullis-in-process.ts', [origin], serverCpus)];
  started.push(portcullisTargets[0]!);
  const baselineTargets =
    mode === 'cli' && baselineCheckout
      ? await startPortcullisCli(upstream.port, serverCpus, { checkout: baselineCheckout, names: ['baseline', 'baseline-key-auth'] })
      : [];
  if (baselineTargets[0]) started.push(baselineTargets[0]);
  const targets = [upstream, minimal, ...portcullisTargets, ...baselineTargets];

  for (const target of targets) await load(target, warmup);
  const runs: Run[] = [];
  for (let round = 1; round <= rounds; round++) {
    // Rotate the order each round so slow drift (thermal, other tenants) does not favour one target.
    const order = targets.map((_, i) => targets[(i + round - 1) % targets.length]!);
    for (const target of order) {
      const cpuBefore = cpuSeconds(target.child.pid);
      const result = await load(target, duration);
      const cpuUsed = cpuSeconds(target.child.pid) - cpuBefore;
      const run: Run = {
        target: target.name,
        round,
        rps: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        meanLatency: result.latency.mean,
        cpuUsPerRequest: (cpuUsed * 1e6) / result.requests.total,
        errors: result.errors + result.timeouts,
        non2xx: result.non2xx,
      };
      runs.push(run);
      process.stdout.write(
        `round ${round} ${run.target.padEnd(10)} ${String(Math.round(run.rps)).padStart(6)} req/s  p50 ${run.p50} ms  p99 ${run.p99} ms  ${run.cpuUsPerRequest.toFixed(1)} CPU µs/req\n`,
      );
    }
  }

  const summaries = summarize(runs);
  const r = ratios(summaries, runs);
  const keyAuth = mode === 'cli' ? ratios(summaries, runs, 'key-auth', 'portcullis') : null;
  const baseline =
    baselineTargets.length > 0
      ? { noAuth: ratios(summaries, runs, 'portcullis', 'baseline'), keyAuth: ratios(summaries, runs, 'key-auth', 'baseline-key-auth') }
      : null;
  const setup = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: `${cpus()[0]?.model ?? 'unknown'} × ${availableParallelism()}`,
    portcullis: mode === 'cli' ? 'real CLI (dist/), configured via the Admin API' : 'in-process proxy (src/, no store or Admin API)',
    pinning: pin ? 'autocannon on CPU 0; upstream and proxies on CPU 1' : 'none (scheduler places all processes)',
    load: `autocannon, ${connections} connections, ${duration} s per run, ${rounds} rounds, ${warmup} s warm-up per target`,
    ...(baselineCheckout ? { baseline: `${baselineCheckout} (its dist/), targets baseline and baseline-key-auth` } : {}),
  };
  console.table(
    summaries.map((s) => ({
      ...s,
      rps: Math.round(s.rps),
      meanLatency: Number(s.meanLatency.toFixed(2)),
      cpuUsPerRequest: Number(s.cpuUsPerRequest.toFixed(1)),
    })),
  );
  process.stdout.write(
    `Portcullis/minimal: ${(r.rps * 100).toFixed(1)} % req/s (per-round median ${(r.rpsPerRound * 100).toFixed(1)} %; goal >= 85 %); ` +
      `p99 delta ${r.p99DeltaMs.toFixed(1)} ms (goal <= 1 ms); CPU/request minimal÷Portcullis ${(r.cpuEfficiency * 100).toFixed(1)} %\n`,
  );
  if (keyAuth) {
    process.stdout.write(
      `key-auth/no auth: ${(keyAuth.rps * 100).toFixed(1)} % req/s (per-round median ${(keyAuth.rpsPerRound * 100).toFixed(1)} %; goal >= 90 %); ` +
        `p99 delta ${keyAuth.p99DeltaMs.toFixed(1)} ms; CPU/request ${(keyAuth.cpuEfficiency * 100).toFixed(1)} %\n`,
    );
  }
  if (baseline) {
    for (const [label, b] of [
      ['no auth', baseline.noAuth],
      ['key-auth', baseline.keyAuth],
    ] as const) {
      process.stdout.write(
        `this checkout/baseline (${label}): ${(b.rps * 100).toFixed(1)} % req/s (per-round median ${(b.rpsPerRound * 100).toFixed(1)} %); ` +
          `p99 delta ${b.p99DeltaMs.toFixed(1)} ms; CPU/request baseline÷this ${(b.cpuEfficiency * 100).toFixed(1)} %\n`,
      );
    }
  }
  const stem = `proxy-${setup.date.replace(/[:.]/g, '-')}`;
  const files = writeResults(
    'bench/results',
    stem,
    { setup, summaries, ratios: r, keyAuth, baseline, runs },
    toMarkdown(summaries, r, runs, setup, keyAuth, baseline),
  );
  process.stdout.write(`results: ${files.join(', ')}\n`);
} finally {
  for (const server of started.reverse()) await stop(server);
}
