/**
 * The peer gateway of `npm run bench`: fast-gateway (npm, restana + fast-proxy-lite), configured
 * the way its README shows, with the same two routes as the other targets: `/open` without auth
 * and `/keyed` behind an `onRequest` hook doing what the minimal proxy's key check does (the
 * `x-api-key` header's SHA-256 looked up in a Map; 401 without a known key). Both prefixes are
 * stripped, so the upstream sees `/`. Prints `{"port": N}` once listening.
 * Usage: BENCH_KEY=<key> node --import tsx bench/fast-gateway.ts <upstream origin> [port]
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import gateway from 'fast-gateway';

const target = process.argv[2] ?? 'http://127.0.0.1:3000';
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const keys = new Map(process.env['BENCH_KEY'] ? [[sha256(process.env['BENCH_KEY']), { consumer: 'bench' }]] : []);

/** fast-gateway's hook contract: true ends the request here (the hook answered it). */
function keyHook(req: IncomingMessage, res: ServerResponse): boolean {
  const key = req.headers['x-api-key'];
  if (typeof key === 'string' && keys.has(sha256(key))) return false;
  res.statusCode = 401;
  res.end();
  return true;
}

const server = gateway({
  routes: [
    { prefix: '/open', target },
    { prefix: '/keyed', target, hooks: { onRequest: keyHook } },
  ],
});
const http = await server.start(Number(process.argv[3] ?? 0), '127.0.0.1');
http.keepAliveTimeout = 60_000;
process.stdout.write(`${JSON.stringify({ port: (http.address() as AddressInfo).port })}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
