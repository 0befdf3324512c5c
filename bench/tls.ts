/**
 * The TLS benchmark: Portcullis's HTTPS listener against nginx terminating TLS with the SAME
 * certificate in front of the same upstream, in one run, plus both over plain HTTP to show what TLS
 * costs each. Load comes from wrk (one thread, pinned to CPU 0; servers on CPU 1):
 *
 *   keep-alive   BENCH_CONNECTIONS persistent connections: requests/s over established TLS sessions
 *   handshakes   `Connection: close` on every request, so each one is a new TCP connection and a
 *                full TLS handshake (wrk does not resume sessions): new handshakes/s
 *
 * Portcullis is the real CLI (`dist/`), its certificate uploaded through `POST /certificates` with
 * `snis: ["localhost"]`, so SNI selection is on the measured path. nginx runs one worker
 * (`master_process off`), access log off, keep-alive to the upstream. The certificate is an ECDSA
 * P-256 one made for the run (BENCH_TLS_KEY=rsa: RSA 2048). Targets run in rotating order for
 * BENCH_ROUNDS rounds; medians and per-round ratios are printed and written to bench/results/.
 *
 *   npm run build && npm run bench:tls
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { freePort, startScript, cpuSeconds, post, until, stop, type ChildServer } from './processes.js';
import { startNginx as startTlsNginx } from './nginx.js';
import { createSelfSignedCertificate } from '../src/tls/self-signed-certificate.js';

/** Nodes run in one process here (the default would fork one worker per core). */
const ONE_PROCESS = { ...process.env, PORTCULLIS_WORKERS: '1' };
const DURATION = Number(process.env['BENCH_DURATION'] ?? 10);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 64);
const HANDSHAKE_CONNECTIONS = Number(process.env['BENCH_HANDSHAKE_CONNECTIONS'] ?? 16);
const PIN = process.env['BENCH_PIN'] !== '0' && cpus().length >= 2;
const LOAD_CPU = PIN ? '0' : null;
const SERVER_CPU = PIN ? '1' : null;

interface Target {
  readonly name: string;
  readonly url: string;
  readonly pid: number | undefined;
  readonly mode: 'keep-alive' | 'handshakes';
}

interface Measured {
  readonly target: string;
  readonly round: number;
  readonly rps: number;
  readonly p99ms: number;
  readonly cpuUsPerReq: number;
  readonly errors: number;
}

function requireTool(name: string): void {
  try {
    execFileSync('which', [name], { stdio: 'ignore' });
  } catch {
    throw new Error(`${name} is not installed (apt-get install -y ${name}); the TLS benchmark compares against it`);
  }
}

async function startNginx(dir: string, upstreamPort: number, cert: string, key: string): Promise<{ child: ChildProcess; https: number; http: number }> {
  const [https, http] = [await freePort(), await freePort()];
  const servers = `  upstream bench { server 127.0.0.1:${upstreamPort}; keepalive 256; }
  server {
    listen 127.0.0.1:${https} ssl; listen 127.0.0.1:${http};
    server_name localhost;
    ssl_certificate ${cert}; ssl_certificate_key ${key};
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { proxy_pass http://bench; proxy_http_version 1.1; proxy_set_header Connection ""; }
  }`;
  const child = await startTlsNginx(dir, servers, `http://127.0.0.1:${http}/`, SERVER_CPU);
  return { child, https, http };
}

async function startPortcullis(dir: string, upstreamPort: number, cert: string, key: string): Promise<{ child: ChildProcess; https: number; http: number }> {
  const [http, https, adminPort] = [await freePort(), await freePort(), await freePort()];
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'portcullis.yaml');
  writeFileSync(
    config,
    [
      `sqlite_path: ${join(dir, 'portcullis.db')}`,
      `proxy_listen: 127.0.0.1:${http}`,
      `proxy_listen_tls: 127.0.0.1:${https}`,
      `admin_listen: 127.0.0.1:${adminPort}`,
      'log_level: warn',
      '',
    ].join('\n'),
  );
  const argv = [process.execPath, 'bin/portcullis.js', 'start', '--config', config];
  const child =
    SERVER_CPU === null
      ? spawn(argv[0]!, argv.slice(1), { stdio: 'inherit', env: ONE_PROCESS })
      : spawn('taskset', ['-c', SERVER_CPU, ...argv], { stdio: 'inherit', env: ONE_PROCESS });
  const admin = `http://127.0.0.1:${adminPort}`;
  await until(async () => (await fetch(`${admin}/status/ready`)).status === 200);
  await post(`${admin}/certificates`, { cert, key, snis: ['localhost'] });
  await post(`${admin}/services`, { name: 'bench', url: `http://127.0.0.1:${upstreamPort}` });
  await post(`${admin}/services/bench/routes`, { name: 'bench', paths: ['/'] });
  await until(async () => (await fetch(`http://127.0.0.1:${http}/`)).status === 200);
  return { child, https, http };
}

/** One wrk run; Requests/sec, p99 and the target process's CPU per request. */
function wrk(target: Target, seconds: number): Omit<Measured, 'target' | 'round'> {
  const connections = target.mode === 'handshakes' ? HANDSHAKE_CONNECTIONS : CONNECTIONS;
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', ...(target.mode === 'handshakes' ? ['-H', 'Connection: close'] : []), target.url];
  const before = cpuSeconds(target.pid);
  const out = execFileSync(LOAD_CPU === null ? 'wrk' : 'taskset', LOAD_CPU === null ? args : ['-c', LOAD_CPU, 'wrk', ...args], { encoding: 'utf8' });
  const cpu = cpuSeconds(target.pid) - before;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const total = Number(/(\d+) requests in/.exec(out)?.[1]);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const p99ms = p99 ? Number(p99[1]) * (p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1) : Number.NaN;
  const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) + Number(/Socket errors: connect (\d+)/.exec(out)?.[1] ?? 0);
  return { rps, p99ms, cpuUsPerReq: (cpu * 1e6) / total, errors };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function main(): Promise<void> {
  requireTool('wrk');
  requireTool('nginx');
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-tls-'));
  const keyType = process.env['BENCH_TLS_KEY'] === 'rsa' ? 'rsa' : 'ecdsa';
  const pair = keyType === 'rsa' ? rsaPair(dir) : await createSelfSignedCertificate({ commonName: 'localhost', names: ['localhost', '127.0.0.1'], days: 30 });
  const certFile = join(dir, 'bench.crt');
  const keyFile = join(dir, 'bench.key');
  writeFileSync(certFile, pair.cert);
  writeFileSync(keyFile, pair.key, { mode: 0o600 });

  const upstream: ChildServer = await startScript('upstream', 'bench/upstream.ts', [], SERVER_CPU);
  const children: ChildProcess[] = [upstream.child];
  // A failed start must not leave servers behind (they hold the terminal's output open).
  process.once('exit', () => children.forEach((c) => c.kill('SIGKILL')));
  const nginx = await startNginx(join(dir, 'nginx'), upstream.port, certFile, keyFile);
  children.push(nginx.child);
  const portcullis = await startPortcullis(join(dir, 'pc'), upstream.port, pair.cert, pair.key);
  children.push(portcullis.child);
  const targets: Target[] = [
    { name: 'nginx https keep-alive', url: `https://localhost:${nginx.https}/`, pid: nginx.child.pid, mode: 'keep-alive' },
    { name: 'portcullis https keep-alive', url: `https://localhost:${portcullis.https}/`, pid: portcullis.child.pid, mode: 'keep-alive' },
    { name: 'nginx handshakes', url: `https://localhost:${nginx.https}/`, pid: nginx.child.pid, mode: 'handshakes' },
    { name: 'portcullis handshakes', url: `https://localhost:${portcullis.https}/`, pid: portcullis.child.pid, mode: 'handshakes' },
    { name: 'nginx http keep-alive', url: `http://127.0.0.1:${nginx.http}/`, pid: nginx.child.pid, mode: 'keep-alive' },
    { name: 'portcullis http keep-alive', url: `http://127.0.0.1:${portcullis.http}/`, pid: portcullis.child.pid, mode: 'keep-alive' },
  ];
  const runs: Measured[] = [];
  try {
    for (const t of targets) wrk(t, 2); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
      for (const t of order) {
        const m = { target: t.name, round, ...wrk(t, DURATION) };
        runs.push(m);
        console.log(
          `round ${round + 1}/${ROUNDS} ${t.name.padEnd(30)} ${m.rps.toFixed(0).padStart(7)} req/s  p99 ${m.p99ms.toFixed(2)} ms  ${m.cpuUsPerReq.toFixed(0)} µs CPU/req  errors ${m.errors}`,
        );
      }
    }
  } finally {
    nginx.child.kill('SIGTERM');
    portcullis.child.kill('SIGTERM');
    await stop(upstream);
  }
  const rows = targets.map((t) => {
    const mine = runs.filter((r) => r.target === t.name);
    return {
      target: t.name,
      rps: median(mine.map((r) => r.rps)),
      p99ms: median(mine.map((r) => r.p99ms)),
      cpuUsPerReq: median(mine.map((r) => r.cpuUsPerReq)),
      errors: mine.reduce((a, r) => a + r.errors, 0),
    };
  });
  const ratio = (kind: string) => {
    const perRound = [...Array(ROUNDS).keys()].map((round) => {
      const p = runs.find((r) => r.round === round && r.target === `portcullis ${kind}`)!;
      const n = runs.find((r) => r.round === round && r.target === `nginx ${kind}`)!;
      return p.rps / n.rps;
    });
    return { kind, medianOfRatios: median(perRound), perRound };
  };
  const ratios = ['https keep-alive', 'handshakes', 'http keep-alive'].map(ratio);
  const md = [
    `# TLS benchmark (${new Date().toISOString()})`,
    '',
    `Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model}), pinning ${PIN ? 'wrk on CPU 0, servers on CPU 1' : 'off'}, ${keyType} certificate, ${ROUNDS} rounds × ${DURATION} s, keep-alive ${CONNECTIONS} connections, handshakes ${HANDSHAKE_CONNECTIONS} connections with \`Connection: close\`.`,
    '',
    '| target | req/s (median) | p99 ms | CPU µs/req | errors |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.target} | ${r.rps.toFixed(0)} | ${r.p99ms.toFixed(2)} | ${r.cpuUsPerReq.toFixed(0)} | ${r.errors} |`),
    '',
    '| Portcullis ÷ nginx | median of per-round ratios | per round |',
    '|---|---|---|',
    ...ratios.map((r) => `| ${r.kind} | ${(r.medianOfRatios * 100).toFixed(0)} % | ${r.perRound.map((x) => (x * 100).toFixed(0) + ' %').join(', ')} |`),
    '',
  ].join('\n');
  console.log('\n' + md);
  mkdirSync('bench/results', { recursive: true });
  const stem = `bench/results/tls-${new Date().toISOString().slice(0, 10)}`;
  writeFileSync(`${stem}.json`, `${JSON.stringify({ rows, ratios, runs }, null, 2)}\n`);
  writeFileSync(`${stem}.md`, md);
  console.log(`${stem}.json\n${stem}.md`);
}

/** An RSA 2048 self-signed pair from openssl (BENCH_TLS_KEY=rsa). */
function rsaPair(dir: string): { cert: string; key: string } {
  const key = join(dir, 'rsa.key');
  const cert = join(dir, 'rsa.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '30',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

await main();
