/**
 * WebSocket through the proxy. The listeners' `upgrade` event comes to `accept`, which checks the
 * handshake (`handshake-check.ts`) and hands it, with an HTTP response written on the raw socket,
 * to the proxy's one request handler: the same parsing, routing, `protocols` check, access phase,
 * identity headers and hide-credentials rules as any request, and the same JSON refusals with
 * X-Request-Id (the socket is closed after them). The handler calls `expect` on an accepted
 * handshake: the upstream exchange then asks the upstream for the upgrade (undici's `upgrade`,
 * through the service's pool, so its TLS settings apply); a non-101 answer is relayed as an HTTP
 * response, a 101 is relayed (hop-by-hop headers dropped) and opens a `Tunnel`.
 *
 * Requests with another `Upgrade` (`h2c`, `TLS/1.0` …) are served as plain HTTP/1.1 requests, the
 * upgrade ignored as RFC 9110 §7.8 allows, then the connection is closed; with a body (which Node
 * leaves unparsed on an upgrade) they are refused with 400.
 *
 * Open tunnels count in the drain (a stop waits for them up to `shutdown_timeout`, then `closeAll`
 * sends 1001), in the metrics (open connections, bytes each way), and, when key-auth watched
 * their key (`close_on_revoke`), in `watched` for the revocation watcher.
 */
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { ProxyMetrics } from '../../observability/metrics.js';
import type { Drain } from '../drain.js';
import type { ProxyContext } from '../proxy-context.js';
import type { UpstreamExchange } from '../upstream-exchange.js';
import { filterResponseHeaders, pickRequestId } from '../headers.js';
import { writeJsonError } from '../json-error.js';
import { hasBody } from '../body-fields.js';
import { routeLabel } from '../request-metrics.js';
import { watchedKeyOf } from '../../plugins/key-auth/watched-key.js';
import { asksForWebSocket, handshakeProblem } from './handshake-check.js';
import { Tunnel } from './tunnel.js';
import { WatchedTunnels, type WatchedTunnelsView } from './watched-tunnels.js';

export interface WebSocketProxyDeps {
  readonly config: Pick<Config, 'websocket_handshake_timeout' | 'websocket_idle_timeout' | 'websocket_max_connections'>;
  readonly logger: Logger;
  readonly metrics: ProxyMetrics;
  readonly drain: Drain;
}

export interface WebSocketProxy {
  /** The `upgrade` listener: checks the handshake, then calls `handle` with a response on the socket. */
  accept(req: IncomingMessage, socket: Duplex, head: Buffer, handle: (res: ServerResponse) => void): void;
  /** True for a request `accept` let through as a WebSocket handshake. */
  isHandshake(req: IncomingMessage): boolean;
  /** Makes the accepted handshake of `ctx` an upgrade request; a 101 opens the tunnel. */
  expect(ctx: ProxyContext, res: ServerResponse, exchange: UpstreamExchange): void;
  /** Tunnels whose API key key-auth watches (`close_on_revoke`), by key, consumer and service. */
  readonly watched: WatchedTunnelsView<Tunnel>;
  /** Closes every open tunnel with `code`; resolves once all are closed. */
  closeAll(code: number): Promise<void>;
  readonly open: number;
}

/** A handshake between `accept` and its 101. */
interface Pending {
  readonly head: Buffer;
  readonly timer: NodeJS.Timeout;
}

export function createWebSocketProxy(deps: WebSocketProxyDeps): WebSocketProxy {
  const { config, metrics, drain } = deps;
  const pending = new WeakMap<IncomingMessage, Pending>();
  const tunnels = new Set<Tunnel>();
  // Handshakes between `accept` and their tunnel (or their end), with the listener that ends one
  // whose client left: they hold a socket too, so they count against websocket_max_connections.
  const handshaking = new Map<Duplex, () => void>();
  const watched = new WatchedTunnels<Tunnel>();
  const closedWaiters = new Set<() => void>();

  const open = (ctx: ProxyContext, res: ServerResponse, headers: Record<string, string | string[] | undefined>, upstream: Duplex): void => {
    const state = pending.get(ctx.req);
    if (state !== undefined) clearTimeout(state.timer);
    const client = res.socket;
    if (client !== null) leaveHandshake(client);
    if (client === null || client.destroyed || res.headersSent || !saysWebSocket(headers.upgrade)) {
      upstream.destroy();
      if (client !== null) writeJsonError(res, { status: 502, code: 'PC_PROXY_UPSTREAM_ERROR' }, ctx.requestId);
      return;
    }
    res.detachSocket(client);
    client.write(switchingProtocols(headers, ctx));
    const route = routeLabel(ctx.route);
    const service = ctx.service === null ? '' : (ctx.service.name ?? ctx.service.id);
    const gauge = metrics.websocketConnections.labels(route, service);
    const up = metrics.websocketBytes.labels(route, service, 'client_to_upstream');
    const down = metrics.websocketBytes.labels(route, service, 'upstream_to_client');
    const key = watchedKeyOf(ctx);
    const tunnel = new Tunnel(client, upstream, state?.head ?? Buffer.alloc(0), {
      idleTimeout: config.websocket_idle_timeout,
      onBytes: (direction, bytes) => (direction === 'client_to_upstream' ? up : down).inc(bytes),
      onClosed() {
        tunnels.delete(tunnel);
        watched.remove(tunnel);
        gauge.dec();
        drain.leave();
        if (tunnels.size === 0) for (const done of closedWaiters) done();
      },
    });
    tunnels.add(tunnel);
    if (key !== null) watched.add(tunnel, key);
    gauge.inc();
    drain.enter();
  };

  /** The handshake on `socket` is over (its tunnel opens, or the answer is relayed). */
  const leaveHandshake = (socket: Duplex) => {
    const leftEarly = handshaking.get(socket);
    if (leftEarly === undefined) return;
    socket.off('end', leftEarly);
    handshaking.delete(socket);
  };

  return {
    accept(req, socket, head, handle) {
      // Until a tunnel owns it, a socket error (a reset) only ends this connection.
      socket.on('error', () => socket.destroy());
      const res = responseOn(req, socket);
      if (!asksForWebSocket(req)) {
        if (!hasBody(req)) return handle(res);
        return writeJsonError(res, { status: 400, code: 'PC_BAD_REQUEST', message: 'Unsupported upgrade with a body', close: true }, requestIdOf(req));
      }
      const problem = handshakeProblem(req);
      if (problem !== null) return writeJsonError(res, problem, requestIdOf(req));
      const limit = config.websocket_max_connections;
      if (limit > 0 && tunnels.size + handshaking.size >= limit) {
        metrics.websocketLimitRefusals.inc();
        return writeJsonError(res, { status: 503, code: 'PC_PROXY_WEBSOCKET_LIMIT', headers: { 'retry-after': '5' }, close: true }, requestIdOf(req));
      }
      // The server keeps sockets half-open: a client that gave up (FIN) would hold its place, and
      // the upstream's handshake, until the timeout. It is closed instead, which aborts both.
      const leftEarly = () => socket.destroy();
      handshaking.set(socket, leftEarly);
      socket.once('end', leftEarly);
      socket.once('close', () => handshaking.delete(socket));
      // The whole handshake, access phase and upstream answer included, is bounded.
      const timer = setTimeout(() => {
        if (res.socket === null) return;
        writeJsonError(res, { status: 504, code: 'PC_PROXY_UPSTREAM_TIMEOUT', close: true }, requestIdOf(req));
      }, config.websocket_handshake_timeout);
      pending.set(req, { head, timer });
      // Answered (refused, relayed) or gone: the timer has nothing left to bound.
      res.on('finish', () => clearTimeout(timer));
      res.on('close', () => clearTimeout(timer));
      handle(res);
    },
    isHandshake: (req) => pending.has(req),
    expect(ctx, res, exchange) {
      exchange.expectUpgrade({
        protocol: 'websocket',
        timeout: config.websocket_handshake_timeout,
        onUpgrade: (headers, upstream) => open(ctx, res, headers, upstream),
      });
    },
    watched,
    closeAll(code) {
      if (tunnels.size === 0) return Promise.resolve();
      return new Promise<void>((resolve) => {
        closedWaiters.add(resolve);
        for (const tunnel of tunnels) tunnel.close(code);
      });
    },
    get open() {
      return tunnels.size;
    },
  };
}

/** An HTTP response written on the raw socket of an upgrade request; the socket ends with it. */
function responseOn(req: IncomingMessage, socket: Duplex): ServerResponse {
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  // Closed once the answer is out, as Node's server does, not left half-open for the client to close:
  // a client that never does would hold the socket (and a place under websocket_max_connections).
  res.on('finish', () => socket.end(() => socket.destroy()));
  return res;
}

function requestIdOf(req: IncomingMessage): string {
  return pickRequestId(req.headers['x-request-id']);
}

function saysWebSocket(value: string | string[] | undefined): boolean {
  return typeof value === 'string' && value.trim().toLowerCase() === 'websocket';
}

/** The 101 relayed to the client: the upstream's end-to-end headers (Sec-WebSocket-Accept …), ours, and the upgrade pair. */
function switchingProtocols(headers: Record<string, string | string[] | undefined>, ctx: ProxyContext): string {
  const relayed = { ...filterResponseHeaders(headers), ...ctx.responseHeaders, 'x-request-id': ctx.requestId };
  let head = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n';
  for (const [name, value] of Object.entries(relayed)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${String(v)}\r\n`;
  }
  return head + '\r\n';
}
