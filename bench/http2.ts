/**
 * HTTP/2 against HTTP/1.1 on the same route, same run: a proxy (in process, both TLS listener
 * versions by ALPN, plus h2c) in front of a loopback `node:http` upstream, loaded by a small Node
 * loop (autocannon cannot speak h2):
 *
 *   h2-tls     one TLS connection, BENCH_CONCURRENCY streams in flight
 *   h2c        the same over cleartext h2 (prior knowledge)
 *   http1-tls  BENCH_CONCURRENCY keep-alive HTTPS connections, one request in flight each
 *   http1      the same over plain HTTP
 *
 * Targets rotate for BENCH_ROUNDS rounds of BENCH_DURATION seconds; medians and ratios against
 * http1-tls are printed. Load and proxy share the process and its CPU: compare ratios, not figures.
 *
 *   npm run bench:http2
 */
import { connect, type ClientHttp2Session } from 'node:http2';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createEntityFactory } from '../src/proxy/testing/entities.js';
import { startUpstream } from '../src/proxy/testing/harness.js';
import { startTlsProxy } from '../src/proxy/testing/tls-harness.js';
import { createSelfSignedCertificate } from '../src/tls/self-signed-certificate.js';

const DURATION = Number(process.env['BENCH_DURATION'] ?? 5) * 1000;
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 32);

type Send = () => Promise<void>;

function h2Sender(session: ClientHttp2Session): Send {
  return () =>
    new Promise((resolve, reject) => {
      const stream = session.request({ ':path': '/bench/x' });
      stream.on('error', reject);
      stream.on('end', resolve);
      stream.resume();
    });
}

function http1Sender(make: typeof httpRequest | typeof httpsRequest, port: number, agent: HttpAgent | HttpsAgent): Send {
  return () =>
    new Promise((resolve, reject) => {
      const req = make({ host: '127.0.0.1', port, path: '/bench/x', agent, rejectUnauthorized: false }, (res) => {
        res.on('end', resolve);
        res.resume();
      });
      req.on('error', reject);
      req.end();
    });
}

/** Requests per second with CONCURRENCY loops sending back to back for DURATION. */
async function load(send: Send): Promise<number> {
  const until = performance.now() + DURATION;
  let done = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        await send();
        done++;
      }
    }),
  );
  return done / (DURATION / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const make = createEntityFactory();
const upstream = await startUpstream((_req, res) => res.end('ok'));
const service = make.service({ name: 'bench', port: upstream.port });
const certificate = await createSelfSignedCertificate({ commonName: 'localhost', names: ['localhost'], days: 1 });
const proxy = await startTlsProxy(
  { services: [service], routes: [make.route({ name: 'bench', paths: ['/bench'], service: { id: service.id } })], consumers: [], plugins: [] },
  certificate,
  { proxy_listen_h2c: '127.0.0.1:0', http2_max_concurrent_streams: 1000 },
);
const h2cPort = (proxy.proxy.h2cServer!.address() as AddressInfo).port;
const tlsSession = connect(`https://127.0.0.1:${proxy.tlsPort}`, { rejectUnauthorized: false });
const h2cSession = connect(`http://127.0.0.1:${h2cPort}`);
const targets: Record<string, Send> = {
  'h2-tls': h2Sender(tlsSession),
  h2c: h2Sender(h2cSession),
  'http1-tls': http1Sender(httpsRequest, proxy.tlsPort, new HttpsAgent({ keepAlive: true, maxSockets: CONCURRENCY })),
  http1: http1Sender(httpRequest, proxy.port, new HttpAgent({ keepAlive: true, maxSockets: CONCURRENCY })),
};
const results: Record<string, number[]> = Object.fromEntries(Object.keys(targets).map((name) => [name, []]));
const names = Object.keys(targets);
for (let round = 0; round < ROUNDS; round++) {
  // Rotating order: no target always runs first (warm-up) or last.
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + round) % names.length]!;
    const rps = await load(targets[name]!);
    results[name]!.push(rps);
    console.log(`round ${round + 1} ${name}: ${rps.toFixed(0)} req/s`);
  }
}
const reference = median(results['http1-tls']!);
console.log(`\nmedians (${ROUNDS} rounds × ${DURATION / 1000} s, concurrency ${CONCURRENCY}):`);
for (const name of names)
  console.log(`  ${name.padEnd(10)} ${median(results[name]!).toFixed(0).padStart(7)} req/s  ×${(median(results[name]!) / reference).toFixed(2)} of http1-tls`);
tlsSession.destroy();
h2cSession.destroy();
await proxy.close();
await upstream.close();
