/**
 * gRPC unary calls per second through the gateway against the same calls made directly to the
 * upstream, in the same run: a proxy (in process, h2c listener) in front of the `@grpc/grpc-js`
 * echo service (src/proxy/grpc/testing/grpc-echo.ts), loaded by BENCH_CONCURRENCY call loops on
 * one grpc-js channel per target:
 *
 *   direct    the echo service itself
 *   gateway   the same calls through a `grpc` route (no plugin)
 *
 * Targets alternate for BENCH_ROUNDS rounds of BENCH_DURATION seconds; medians and the ratio
 * gateway/direct are printed. Client, proxy and upstream share the process and its CPU: compare
 * the ratio, not the figures.
 *
 *   npm run bench:grpc
 */
import * as grpc from '@grpc/grpc-js';
import { createEntityFactory } from '../src/proxy/testing/entities.js';
import { startTlsProxy } from '../src/proxy/testing/tls-harness.js';
import { createSelfSignedCertificate } from '../src/tls/self-signed-certificate.js';
import { echoClient, startEchoServer, type EchoClient } from '../src/proxy/grpc/testing/grpc-echo.js';
import { freePort } from './processes.js';

const DURATION = Number(process.env['BENCH_DURATION'] ?? 5) * 1000;
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 32);

const call = (client: EchoClient): Promise<void> =>
  new Promise((resolve, reject) => client.Unary({ message: 'bench' }, new grpc.Metadata(), (err) => (err ? reject(err) : resolve())));

/** Calls per second with CONCURRENCY loops calling back to back for DURATION. */
async function load(client: EchoClient): Promise<number> {
  const until = performance.now() + DURATION;
  let done = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) {
        await call(client);
        done++;
      }
    }),
  );
  return done / (DURATION / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const make = createEntityFactory();
const echo = await startEchoServer();
const service = make.service({ name: 'echo', protocol: 'grpc', port: echo.port });
const certificate = await createSelfSignedCertificate({ commonName: 'localhost', names: ['localhost'], days: 1 });
const h2cPort = await freePort();
const proxy = await startTlsProxy(
  {
    services: [service],
    routes: [make.route({ name: 'echo', paths: ['/portcullis.test.Echo'], strip_path: false, protocols: ['grpc', 'grpcs'], service: { id: service.id } })],
    consumers: [],
    plugins: [],
  },
  certificate,
  { proxy_listen_h2c: `127.0.0.1:${h2cPort}`, http2_max_concurrent_streams: 1000 },
);
const targets: Record<string, EchoClient> = {
  direct: echoClient(`127.0.0.1:${echo.port}`),
  gateway: echoClient(`127.0.0.1:${h2cPort}`),
};
const names = Object.keys(targets);
const results: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
for (const client of Object.values(targets)) await call(client);
for (let round = 0; round < ROUNDS; round++) {
  // Alternating order: neither target always runs first.
  for (let i = 0; i < names.length; i++) {
    const name = names[(i + round) % names.length]!;
    const cps = await load(targets[name]!);
    results[name]!.push(cps);
    console.log(`round ${round + 1} ${name}: ${cps.toFixed(0)} calls/s`);
  }
}
const direct = median(results['direct']!);
console.log(`\nmedians (${ROUNDS} rounds × ${DURATION / 1000} s, concurrency ${CONCURRENCY}):`);
for (const name of names)
  console.log(`  ${name.padEnd(8)} ${median(results[name]!).toFixed(0).padStart(7)} calls/s  ×${(median(results[name]!) / direct).toFixed(2)} of direct`);
for (const client of Object.values(targets)) client.close();
await proxy.close();
await echo.close();
