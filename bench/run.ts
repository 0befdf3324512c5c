/**
 * `npm run bench`: Portcullis's proxy against a minimal undici reverse proxy and fast-gateway, each
 * in its own process, in front of one upstream, loaded by wrk (autocannon when wrk is missing).
 * Targets run in rotating order for several rounds; the run prints ONE table of ratios (the goals
 * of issue 12 stated against the references of the same run) and writes everything to
 * bench/results/. Then, unless BENCH_MICRO=0, it runs the router micro-benchmark and, when
 * present, the key-store scale run (`bench/keys-scale.ts`), and appends their output.
 *
 * Targets (CLI mode): `minimal`, `minimal-key` and `minimal-headers` (bench/minimal-proxy.ts: no
 * auth, its SHA-256 + Map key check, and no auth with the headers Portcullis sends),
 * `minimal-in-node` and `minimal-headers-in-node` (the same, inside a whole Portcullis node:
 * bench/minimal-node.ts), `portcullis` and `key-auth` (the real node, no auth and key-auth on a
 * cached key), `fast-gateway` and `fast-gateway-key` (bench/fast-gateway.ts: no auth, and an
 * onRequest hook with the same key check), `baseline`/`baseline-key-auth` with BENCH_BASELINE.
 *
 * Environment: BENCH_DURATION (s per run, 10), BENCH_CONNECTIONS (64), BENCH_ROUNDS (3),
 * BENCH_WARMUP (s per target, 3), BENCH_UPSTREAM (`nginx` when installed, else `node`),
 * BENCH_LOADER (`wrk` when installed, else `autocannon`), BENCH_PORTCULLIS (`cli` | `in-process`),
 * BENCH_PIN (`1`: load generator on CPU 0, servers on CPU 1, when taskset and 2 CPUs exist),
 * BENCH_BASELINE (another built checkout, run beside this one), BENCH_ONLY (comma-separated
 * target names: only those are loaded, for a focused comparison), BENCH_MICRO (`0` skips the
 * router and key-store runs). See bench/README.md and docs/performance.md.
 */
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { cpuSeconds, hasTaskset, startPortcullisCli, startScript, stop, type ChildServer } from './processes.js';
import { summarize, writeResults, type Run } from './report.js';
import { loader, loadTarget } from './load-generator.js';
import { hasNginx, startNginxUpstream } from './nginx.js';
import { RATIO_ROWS, ratioTable, ratioMarkdown } from './ratio-table.js';

const duration = Number(process.env['BENCH_DURATION'] ?? 10);
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? 64);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const warmup = Number(process.env['BENCH_WARMUP'] ?? 3);
const mode = process.env['BENCH_PORTCULLIS'] === 'in-process' ? 'in-process' : 'cli';
const upstreamKind = process.env['BENCH_UPSTREAM'] === 'node' || !hasNginx() ? 'node' : 'nginx';
const pin = process.env['BENCH_PIN'] !== '0' && availableParallelism() >= 2 && hasTaskset();
const [loadCpus, serverCpus] = pin ? ['0', '1'] : [null, null];
const baselineCheckout = process.env['BENCH_BASELINE'] || null;

const started: ChildServer[] = [];
try {
  const upstream =
    upstreamKind === 'nginx'
      ? await startNginxUpstream(mkdtempSync(join(tmpdir(), 'portcullis-bench-nginx-')), serverCpus)
      : await startScript('upstream', 'bench/upstream.ts', [], serverCpus);
  started.push(upstream);
  const origin = `http://127.0.0.1:${upstream.port}`;
  // Portcullis first: its key (made through its Admin API) is the one the peers' key checks know.
  const portcullisTargets =
    mode === 'cli'
      ? await startPortcullisCli(upstream.port, serverCpus)
      : [await startScript('portcullis', 'bench/portcullis-in-process.ts', [origin], serverCpus)];
  started.push(portcullisTargets[0]!);
  const key = portcullisTargets[1]?.headers?.['x-api-key'] ?? 'pcg_bench';
  process.env['BENCH_KEY'] = key; // inherited by the peers (never printed)
  const keyed = (server: ChildServer, name: string, path: string): ChildServer => ({ ...server, name, path, headers: { 'x-api-key': key } });
  const minimal = await startScript('minimal', 'bench/minimal-proxy.ts', [origin], serverCpus);
  // The same minimal proxy inside a whole node (bench/minimal-node.ts): what the process around a request costs.
  process.env['BENCH_IN_NODE'] = '1';
  const minimalInNode = mode === 'cli' ? await startScript('minimal-in-node', 'bench/minimal-proxy.ts', [origin], serverCpus) : null;
  delete process.env['BENCH_IN_NODE'];
  if (minimalInNode) started.push(minimalInNode);
  const fastGateway = { ...(await startScript('fast-gateway', 'bench/fast-gateway.ts', [origin], serverCpus)), path: '/open/' };
  started.push(minimal, fastGateway);
  const baselineTargets =
    mode === 'cli' && baselineCheckout
      ? await startPortcullisCli(upstream.port, serverCpus, { checkout: baselineCheckout, names: ['baseline', 'baseline-key-auth'] })
      : [];
  if (baselineTargets[0]) started.push(baselineTargets[0]);
  const everyTarget = [
    minimal,
    ...(mode === 'cli' ? [keyed(minimal, 'minimal-key', '/keyed')] : []),
    { ...minimal, name: 'minimal-headers', path: '/headers' },
    ...(minimalInNode ? [minimalInNode, { ...minimalInNode, name: 'minimal-headers-in-node', path: '/headers' }] : []),
    ...portcullisTargets,
    fastGateway,
    ...(mode === 'cli' ? [keyed(fastGateway, 'fast-gateway-key', '/keyed/')] : []),
    ...baselineTargets,
  ];
  const only = process.env['BENCH_ONLY']?.split(',').filter((name) => name !== '');
  // A misspelt name fails the run: silently dropping it would leave its comparison out unnoticed.
  const unknown = only?.filter((name) => !everyTarget.some((target) => target.name === name)) ?? [];
  if (unknown.length > 0) throw new Error(`BENCH_ONLY: no target ${unknown.join(', ')} (targets: ${everyTarget.map((t) => t.name).join(', ')})`);
  const targets = only?.length ? everyTarget.filter((target) => only.includes(target.name)) : everyTarget;

  for (const target of targets) await loadTarget(target, { seconds: warmup, connections, cpus: loadCpus });
  const runs: Run[] = [];
  for (let round = 1; round <= rounds; round++) {
    // Rotate the order each round so slow drift (thermal, other tenants) does not favour one target.
    const order = targets.map((_, i) => targets[(i + round - 1) % targets.length]!);
    for (const target of order) {
      const cpuBefore = cpuSeconds(target.child.pid);
      const result = await loadTarget(target, { seconds: duration, connections, cpus: loadCpus });
      const cpuUsed = cpuSeconds(target.child.pid) - cpuBefore;
      const run: Run = {
        target: target.name,
        round,
        rps: result.rps,
        p50: result.p50,
        p99: result.p99,
        meanLatency: result.meanLatency,
        cpuUsPerRequest: (cpuUsed * 1e6) / result.requests,
        errors: result.errors,
        non2xx: 0,
      };
      runs.push(run);
      process.stdout.write(
        `round ${round} ${run.target.padEnd(18)} ${String(Math.round(run.rps)).padStart(6)} req/s  p50 ${run.p50.toFixed(2)} ms  p99 ${run.p99.toFixed(2)} ms  ${run.cpuUsPerRequest.toFixed(1)} CPU µs/req  errors ${run.errors}\n`,
      );
    }
  }

  const summaries = summarize(runs);
  const table = ratioTable(RATIO_ROWS, summaries, runs);
  const setup = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: `${cpus()[0]?.model ?? 'unknown'} × ${availableParallelism()}`,
    portcullis:
      mode === 'cli'
        ? 'real CLI (bin/portcullis.js: the bundle, dist-bundle/), configured via the Admin API'
        : 'in-process proxy (src/, no store or Admin API)',
    upstream: upstreamKind === 'nginx' ? 'nginx (one worker, body from memory)' : 'bench/upstream.ts (node:http)',
    pinning: pin ? `${loader} on CPU 0; upstream and proxies on CPU 1` : 'none (scheduler places all processes)',
    load: `${loader}, ${connections} connections, ${duration} s per run, ${rounds} rounds, ${warmup} s warm-up per target`,
    loadavg: `${(process.platform === 'linux' ? execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }) : '').trim()}`,
    ...(baselineCheckout ? { baseline: `${baselineCheckout} (its bin/portcullis.js and build), targets baseline and baseline-key-auth` } : {}),
  };
  console.table(
    summaries.map((s) => ({
      ...s,
      rps: Math.round(s.rps),
      meanLatency: Number(s.meanLatency.toFixed(2)),
      cpuUsPerRequest: Number(s.cpuUsPerRequest.toFixed(1)),
    })),
  );
  const micro = process.env['BENCH_MICRO'] === '0' ? [] : microBenchmarks();
  const markdown = ratioMarkdown(setup, summaries, table, runs, micro);
  process.stdout.write(`\n${markdown.split('\n## Every run')[0]}\n`);
  const stem = `proxy-${setup.date.replace(/[:.]/g, '-')}`;
  const files = writeResults('bench/results', stem, { setup, summaries, ratios: table, runs, micro }, markdown);
  process.stdout.write(`results: ${files.join(', ')}\n`);
} finally {
  for (const server of started.reverse()) await stop(server);
}

/** The router micro-benchmark and, when another engineer's script exists, the key-store scale run. */
function microBenchmarks(): { name: string; output: string }[] {
  const scripts: [string, string, string[]][] = [['router match (bench/router-match.ts)', 'bench/router-match.ts', ['--samples', '5000']]];
  if (existsSync('bench/keys-scale.ts')) scripts.push(['key-store scale (bench/keys-scale.ts)', 'bench/keys-scale.ts', []]);
  return scripts.map(([name, script, args]) => {
    process.stdout.write(`running ${script} …\n`);
    const run = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', script, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    return { name, output: run.status === 0 ? run.stdout.trim() : `failed (exit ${run.status}):\n${run.stdout.trim()}` };
  });
}
