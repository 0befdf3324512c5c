/**
 * `npm run bench:workers`: requests/s of one Portcullis node started with `--workers 2` against
 * the same node with `--workers 1` (one process), both through the real CLI, in the same run:
 * both nodes run side by side, only one is loaded at a time, in alternating order, for several
 * rounds; medians and their ratio are reported. The load generator is wrk (C, one thread) when
 * installed, else autocannon. The upstream is the bare bench upstream. On a machine with few
 * cores the load generator and the upstream take their share of the CPU: the ratio shows what
 * the workers add here, not on a dedicated host.
 *
 * Environment: BENCH_DURATION (s, 10), BENCH_CONNECTIONS (64), BENCH_ROUNDS (3), BENCH_WORKERS (2).
 */
import { execFileSync } from 'node:child_process';
import autocannon from 'autocannon';
import { startPortcullisCli, startScript, stop, type ChildServer } from './processes.js';

const duration = Number(process.env['BENCH_DURATION'] ?? 10);
const connections = Number(process.env['BENCH_CONNECTIONS'] ?? 64);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const workers = Number(process.env['BENCH_WORKERS'] ?? 2);

function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk --version exits 1 after printing its version.
    return (err as { status?: number }).status === 1;
  }
}
const wrk = hasWrk();

async function requestsPerSecond(server: ChildServer, seconds: number): Promise<number> {
  const url = `http://127.0.0.1:${server.port}${server.path ?? '/'}`;
  if (wrk) {
    const headerArgs = Object.entries(server.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
    const out = execFileSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, ...headerArgs, url], { encoding: 'utf8' });
    const match = /Requests\/sec:\s+([\d.]+)/.exec(out);
    if (!match) throw new Error(`no Requests/sec in wrk's output:\n${out}`);
    const errors = /Non-2xx or 3xx responses: (\d+)/.exec(out);
    if (errors) throw new Error(`${server.name}: ${errors[1]} failed responses`);
    return Number(match[1]);
  }
  const result = await autocannon({ url, headers: { ...server.headers }, connections, duration: seconds });
  if (result.non2xx > 0) throw new Error(`${server.name}: ${result.non2xx} failed responses`);
  return result.requests.average;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const started: ChildServer[] = [];
try {
  const upstream = await startScript('upstream', 'bench/upstream.ts', [], null);
  started.push(upstream);
  const [one] = await startPortcullisCli(upstream.port, null, { workers: 1, names: ['workers-1', 'workers-1-key-auth'] });
  started.push(one);
  const [many] = await startPortcullisCli(upstream.port, null, { workers, names: [`workers-${workers}`, `workers-${workers}-key-auth`] });
  started.push(many);
  const results: Record<string, number[]> = { [one.name]: [], [many.name]: [] };
  for (const target of [one, many]) await requestsPerSecond(target, 3); // warm-up
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [one, many] : [many, one];
    for (const target of order) {
      const rps = await requestsPerSecond(target, duration);
      results[target.name]!.push(rps);
      process.stderr.write(`round ${round + 1}: ${target.name} ${rps.toFixed(0)} req/s\n`);
    }
  }
  const a = median(results[one.name]!);
  const b = median(results[many.name]!);
  process.stdout.write(
    `${JSON.stringify({ loadGenerator: wrk ? 'wrk -t1' : 'autocannon', connections, duration, rounds, results, medians: { [one.name]: a, [many.name]: b }, ratio: b / a }, null, 2)}\n`,
  );
} finally {
  for (const server of started.reverse()) await stop(server);
}
