/**
 * Process plumbing of the proxy benchmark: free ports, child servers that announce their port,
 * CPU pinning, and a Portcullis node started through the real CLI and configured through its
 * Admin API (the way an operator would).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, statSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../test/support/free-port.js';

/** A loopback port that was free a moment ago. */
export { freePort };

export interface ChildServer {
  readonly name: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Path loaded (default `/`) and request headers (e.g. an API key). */
  readonly path?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The Admin API's base URL, for a Portcullis node. */
  readonly admin?: string;
}

/** Whether `taskset` can pin processes here (it is in util-linux; some containers refuse it). */
export function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** `command` prefixed with `taskset -c <cpus>` when `cpus` is set. */
function pinned(cpus: string | null, command: string[]): [string, string[]] {
  return cpus === null ? [command[0]!, command.slice(1)] : ['taskset', ['-c', cpus, ...command]];
}

/** Starts `node --import tsx <script> ...args` and waits for its `{"port": N}` line. */
export async function startScript(name: string, script: string, args: string[], cpus: string | null): Promise<ChildServer> {
  const [cmd, argv] = pinned(cpus, [process.execPath, '--import', 'tsx', script, ...args]);
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before listening`)));
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  return { name, port, child };
}

/**
 * Starts `node bin/portcullis.js start` on free ports with a fresh SQLite file and routes `/` to
 * `upstreamPort`; also `/keyed` to the same upstream behind key-auth, with one consumer key.
 * Returns two targets on the one process: `portcullis` (`/`) and `key-auth` (`/keyed`, with the key).
 */
export async function startPortcullisCli(
  upstreamPort: number,
  cpus: string | null,
  options: { checkout?: string; names?: readonly [string, string]; workers?: number; nodeArgs?: readonly string[] } = {},
): Promise<[ChildServer, ChildServer]> {
  const checkout = options.checkout ?? '.';
  const [name, keyedName] = options.names ?? ['portcullis', 'key-auth'];
  warnIfDistIsStale(checkout);
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  const [proxyPort, adminPort] = [await freePort(), await freePort()];
  const configFile = join(dir, 'portcullis.yaml');
  writeFileSync(
    configFile,
    [
      `sqlite_path: ${join(dir, 'portcullis.db')}`,
      `proxy_listen: 127.0.0.1:${proxyPort}`,
      ...tlsListenerOff(checkout),
      `admin_listen: 127.0.0.1:${adminPort}`,
      'log_level: warn',
      '',
    ].join('\n'),
  );
  const [cmd, argv] = pinned(cpus, [process.execPath, ...(options.nodeArgs ?? []), join(checkout, 'bin/portcullis.js'), 'start', '--config', configFile]);
  // One process unless asked (the default would fork one worker per core); older checkouts ignore the variable.
  const env = { ...process.env, PORTCULLIS_WORKERS: String(options.workers ?? 1) };
  const child = spawn(cmd, argv, { stdio: ['ignore', 'inherit', 'inherit'], env });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`portcullis exited with ${code}`))));
  const admin = `http://127.0.0.1:${adminPort}`;
  await Promise.race([exited, until(async () => (await fetch(`${admin}/status/ready`)).status === 200)]);
  await post(`${admin}/services`, { name: 'bench', url: `http://127.0.0.1:${upstreamPort}` });
  await post(`${admin}/services/bench/routes`, { name: 'bench', paths: ['/'] });
  await post(`${admin}/services/bench/routes`, { name: 'keyed', paths: ['/keyed'], strip_path: true });
  await post(`${admin}/routes/keyed/plugins`, { name: 'key-auth' });
  await post(`${admin}/consumers`, { username: 'bench' });
  const key = (await post(`${admin}/consumers/bench/api-keys`, { name: 'bench' }))['api_key'] as string;
  const headers = { 'x-api-key': key };
  // Wait until both routes answer (the key is then in the node's cache).
  await Promise.race([exited, until(async () => (await fetch(`http://127.0.0.1:${proxyPort}/`)).status === 200)]);
  await Promise.race([exited, until(async () => (await fetch(`http://127.0.0.1:${proxyPort}/keyed`, { headers })).status === 200)]);
  exited.catch(() => {}); // from here on, exiting is what `stop` asks for
  return [
    { name, port: proxyPort, child, admin },
    { name: keyedName, port: proxyPort, child, path: '/keyed', headers, admin },
  ];
}

/**
 * CPU seconds (user + system) the process has used so far, from /proc (Linux), or NaN elsewhere.
 * Per-request CPU is far less sensitive to other load on the machine than requests per second.
 */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat(5), counted after the command name: utime and stime, in clock ticks.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Stops `server` with SIGTERM and waits for it to exit. */
export async function stop(server: ChildServer): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((resolve) => server.child.once('exit', resolve));
  server.child.kill('SIGTERM');
  await exited;
}

export async function post(url: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`POST ${url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

/** Polls `check` every 100 ms for up to 30 s; connection errors count as "not yet". */
export async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out waiting for Portcullis');
}

/** The CLI runs the compiled `dist/`: say so when the sources are newer than the build. */
function warnIfDistIsStale(checkout: string): void {
  // What bin/portcullis.js runs: the bundle (dist-bundle/) where the checkout has one, dist/ before.
  const output = ['dist-bundle/portcullis.mjs', 'dist/cli/main.js'].map((file) => statSync(join(checkout, file), { throwIfNoEntry: false })?.mtimeMs);
  const built = readFileSync(join(checkout, 'bin/portcullis.js'), 'utf8').includes('dist-bundle') ? output[0] : output[1];
  if (built === undefined) throw new Error(`${checkout} is not built: run \`npm run build\` there first (or BENCH_PORTCULLIS=in-process)`);
  const newest = newestMtime(join(checkout, 'src'));
  if (newest > built) process.stderr.write(`warning: ${checkout}/src/ is newer than its build: run \`npm run build\` to bench the current code\n`);
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** `proxy_listen_tls: off` for a checkout that has the key (a baseline from before TLS refuses unknown keys). */
function tlsListenerOff(checkout: string): string[] {
  return readFileSync(join(checkout, 'src/config/schema.ts'), 'utf8').includes('proxy_listen_tls') ? ['proxy_listen_tls: off'] : [];
}
