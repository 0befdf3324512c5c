/**
 * The load generator of the proxy benchmarks: wrk when it is installed (`apt-get install -y wrk`:
 * written in C, it costs the loading core far less per request than autocannon, so the servers
 * stay the limit), autocannon otherwise (BENCH_LOADER=autocannon forces it). Both report the
 * same figures: requests/s, total requests, p50/p99 and mean latency in ms, errors.
 * wrk runs one thread, pinned with taskset when `cpus` is given.
 */
import autocannon from 'autocannon';
import { execFile, execFileSync } from 'node:child_process';
import type { ChildServer } from './processes.js';

export interface LoadResult {
  readonly tool: 'wrk' | 'autocannon';
  readonly rps: number;
  readonly requests: number;
  readonly p50: number;
  readonly p99: number;
  readonly meanLatency: number;
  /** Socket errors, timeouts and non-2xx answers. */
  readonly errors: number;
}

export interface LoadOptions {
  readonly seconds: number;
  readonly connections: number;
  /** CPUs for wrk (`taskset -c`), or null. */
  readonly cpus?: string | null;
}

/** wrk if it runs here and BENCH_LOADER does not ask for autocannon. */
export const loader: 'wrk' | 'autocannon' = process.env['BENCH_LOADER'] !== 'autocannon' && runs('wrk', ['--version']) ? 'wrk' : 'autocannon';

function runs(command: string, args: string[]): boolean {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk --version exits 1 after printing its version: it is there.
    return (err as { status?: number }).status === 1;
  }
}

/** Loads `target` for `seconds` with `connections` keep-alive connections. */
export function loadTarget(target: ChildServer, options: LoadOptions): Promise<LoadResult> {
  const url = `http://127.0.0.1:${target.port}${target.path ?? '/'}`;
  return loader === 'wrk' ? wrk(url, target.headers ?? {}, options) : cannon(url, target.headers ?? {}, options);
}

async function cannon(url: string, headers: Readonly<Record<string, string>>, options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({ url, headers: { ...headers }, connections: options.connections, duration: options.seconds, pipelining: 1 });
  return {
    tool: 'autocannon',
    rps: result.requests.average,
    requests: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    meanLatency: result.latency.mean,
    errors: result.errors + result.timeouts + result.non2xx,
  };
}

function wrk(url: string, headers: Readonly<Record<string, string>>, options: LoadOptions): Promise<LoadResult> {
  const args = [
    '-t1',
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    '--latency',
    ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    url,
  ];
  const [command, argv] = options.cpus ? ['taskset', ['-c', options.cpus, 'wrk', ...args]] : ['wrk', args];
  return new Promise((resolve, reject) => {
    execFile(command, argv, { timeout: (options.seconds + 30) * 1000 }, (err, stdout) => (err ? reject(err) : resolve(parseWrk(stdout))));
  });
}

/** Reads wrk's text report (`--latency`). */
export function parseWrk(text: string): LoadResult {
  const number = (pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? Number.NaN);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  return {
    tool: 'wrk',
    rps: number(/Requests\/sec:\s+([\d.]+)/),
    requests: number(/(\d+) requests in/),
    p50: millis(/^\s+50%\s+([\d.]+\w+)/m.exec(text)?.[1]),
    p99: millis(/^\s+99%\s+([\d.]+\w+)/m.exec(text)?.[1]),
    meanLatency: millis(/^\s+Latency\s+([\d.]+\w+)/m.exec(text)?.[1]),
    errors: (socketErrors ? socketErrors.slice(1).reduce((n, v) => n + Number(v), 0) : 0) + (number(/Non-2xx or 3xx responses: (\d+)/) || 0),
  };
}

/** `850.00us`, `1.23ms`, `2.00s` → milliseconds. */
function millis(value: string | undefined): number {
  const match = value === undefined ? null : /^([\d.]+)(us|ms|s|m)$/.exec(value);
  if (match === null) return Number.NaN;
  const scale = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[match[2] as 'us' | 'ms' | 's' | 'm'];
  return Number(match[1]) * scale;
}
