/**
 * The reference: about the smallest correct reverse proxy one would write with `node:http` and
 * undici (keep-alive pool, streamed bodies, hop-by-hop headers dropped). It uses `stream()`,
 * undici's fastest API for relaying (it was ~1.5× faster than `request()` + `pipeline()` here),
 * so the reference is the hard one. Portcullis is measured against it.
 * Under `/keyed` it also does the least a key check needs (the reference for key-auth): the
 * `x-api-key` header's SHA-256 looked up in a Map of known hashes (BENCH_KEY: the one key),
 * 401 without a known key, `/keyed` stripped from the path sent upstream.
 * Under `/headers` it also puts on the wire what Portcullis puts there for every request (the
 * reference that tells the cost of the gateway's headers from the rest of the gap): the client's
 * copies of the gateway's headers dropped, `X-Forwarded-For/-Proto/-Host/-Port`, `Forwarded`,
 * `X-Real-IP` and `X-Request-Id` (the client's when plausible, else a UUID) sent upstream, and the
 * request id on the response; `/headers` stripped from the path sent upstream.
 * With BENCH_IN_NODE=1 the same proxy runs inside a whole Portcullis node (`minimal-node.ts`:
 * store, Admin API, keyring, metrics, timers, configured as the bench's node is), so its requests
 * pay what the process around them costs and nothing of the gateway's request path.
 * Prints `{"port": N}` once listening.
 * Usage: BENCH_KEY=<key> node --import tsx bench/minimal-proxy.ts <upstream origin> [port]
 */
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, randomUUID } from 'node:crypto';
import { Pool } from 'undici';

const origin = process.argv[2] ?? 'http://127.0.0.1:3000';
if (process.env['BENCH_IN_NODE'] === '1') await (await import('./minimal-node.js')).startNodeBeside(origin);
const pool = new Pool(origin, { connections: 256, keepAliveTimeout: 60_000 });
const host = new URL(origin).host;
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');
const keys = new Map(process.env['BENCH_KEY'] ? [[sha256(process.env['BENCH_KEY']), { consumer: 'bench' }]] : []);
const HOP = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect', 'te', 'trailer', 'proxy-connection'];
const GATEWAY = ['x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-real-ip', 'forwarded', 'x-request-id', 'host'];
const DROPPED = new Set([...HOP, ...GATEWAY]);
let listenPort = '';
const REQUEST_ID = /^[A-Za-z0-9._:@+=/-]{1,128}$/;

/**
 * The upstream request headers of the `/headers` mode, as the flat `[name, value, …]` list undici
 * takes (no object built per request: the cheapest way found to send them).
 */
function gatewayHeaders(req: IncomingMessage, requestId: string): string[] {
  const out: string[] = [];
  const incoming = req.headers;
  for (const name in incoming) {
    if (DROPPED.has(name)) continue;
    const value = incoming[name];
    if (typeof value === 'string') out.push(name, value);
    else if (value !== undefined) for (const one of value) out.push(name, one);
  }
  const peer = req.socket.remoteAddress ?? '';
  const clientHost = incoming.host ?? '';
  const colon = clientHost.lastIndexOf(':');
  out.push(
    'host',
    host,
    'x-forwarded-for',
    peer,
    'forwarded',
    `for=${peer};host="${clientHost}";proto=http`,
    'x-forwarded-proto',
    'http',
    'x-forwarded-host',
    colon === -1 ? clientHost : clientHost.slice(0, colon),
    'x-forwarded-port',
    listenPort,
    'x-real-ip',
    peer,
    'x-request-id',
    requestId,
  );
  return out;
}

const server = createServer((req, res) => {
  let path = req.url ?? '/';
  if (path.startsWith('/keyed')) {
    const key = req.headers['x-api-key'];
    if (typeof key !== 'string' || !keys.has(sha256(key))) return void res.writeHead(401).end();
    path = path.slice('/keyed'.length) || '/';
  }
  let headers: OutgoingHttpHeaders | string[];
  let requestId: string | null = null;
  if (path.startsWith('/headers')) {
    path = path.slice('/headers'.length) || '/';
    const given = req.headers['x-request-id'];
    requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    headers = gatewayHeaders(req, requestId);
  } else {
    headers = { ...req.headers, host };
    for (const name of HOP) delete headers[name];
  }
  const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  const options = { path, method: req.method as 'GET', headers: headers as Record<string, string> | string[], body: hasBody ? req : null, opaque: res };
  pool
    .stream(options, ({ statusCode, headers: upstream, opaque }) => {
      for (const name of HOP) delete upstream[name];
      if (requestId !== null) upstream['x-request-id'] = requestId;
      return (opaque as ServerResponse).writeHead(statusCode, upstream as OutgoingHttpHeaders);
    })
    .catch(() => (res.headersSent ? res.destroy() : res.writeHead(502).end()));
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[3] ?? 0), '127.0.0.1', () => {
  listenPort = String((server.address() as AddressInfo).port);
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
