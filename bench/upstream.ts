/**
 * The benchmark's upstream: a bare `node:http` server answering every request with the same small
 * body. Run as its own process by `bench/run.ts`; prints `{"port": N}` once listening.
 * Usage: node --import tsx bench/upstream.ts [port]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const BODY = Buffer.from('{"hello":"world"}');
const HEADERS = { 'content-type': 'application/json', 'content-length': String(BODY.length) };

const server = createServer((req, res) => {
  // Drain any request body before answering, as a real service would.
  req.resume();
  res.writeHead(200, HEADERS);
  res.end(BODY);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
