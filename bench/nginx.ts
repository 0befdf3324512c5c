/**
 * nginx for the benchmarks (`apt-get install -y nginx`): one worker in the foreground
 * (`master_process off`, `daemon off`), access log off, its temp folders and pid file in a folder
 * of the run, optionally pinned with taskset. `bench/tls.ts` uses it as the TLS reference,
 * `bench/run.ts` as the upstream (`BENCH_UPSTREAM=nginx`): written in C and answering from memory,
 * it costs its core a few µs per request, so the proxies under test stay the limit.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, until, type ChildServer } from './processes.js';

/** True when an `nginx` binary is on the PATH. */
export function hasNginx(): boolean {
  try {
    execFileSync('which', ['nginx'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts nginx with `servers` (the `server { … }` blocks, and any `upstream` block) inside its
 * `http { }`, then waits until `probeUrl` answers 200.
 */
export async function startNginx(dir: string, servers: string, probeUrl: string, cpus: string | null): Promise<ChildProcess> {
  for (const sub of ['client', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub), { recursive: true });
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off; master_process off; worker_processes 1; pid ${join(dir, 'nginx.pid')}; error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'client')}; proxy_temp_path ${join(dir, 'proxy')}; fastcgi_temp_path ${join(dir, 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'uwsgi')}; scgi_temp_path ${join(dir, 'scgi')};
  keepalive_requests 1000000;
${servers}
}
`,
  );
  const argv = ['nginx', '-e', 'stderr', '-c', conf];
  const child = cpus === null ? spawn(argv[0]!, argv.slice(1), { stdio: 'inherit' }) : spawn('taskset', ['-c', cpus, ...argv], { stdio: 'inherit' });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`nginx exited with ${code}`))));
  await Promise.race([exited, until(async () => (await fetch(probeUrl)).status === 200)]);
  exited.catch(() => {}); // from here on, exiting is what stopping asks for
  return child;
}

/** The benchmark's upstream as nginx: the same 17-byte JSON body as `bench/upstream.ts`, from memory. */
export async function startNginxUpstream(dir: string, cpus: string | null): Promise<ChildServer> {
  const port = await freePort();
  const server = `  server {
    listen 127.0.0.1:${port};
    location / { default_type application/json; return 200 '{"hello":"world"}'; }
  }`;
  const child = await startNginx(dir, server, `http://127.0.0.1:${port}/`, cpus);
  return { name: 'upstream', port, child };
}
