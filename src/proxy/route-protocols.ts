/**
 * Routes' `protocols`, checked once the router matched and before any plugin runs. On the HTTPS
 * listener a route without `https` is answered as if no route matched (404). A plain request to a
 * route without `http` gets 426 `PC_PROXY_HTTPS_REQUIRED` (with `Upgrade` and `Connection`, as
 * RFC 9110 §15.5.22 wants), or the redirect the route asks for with `https_redirect_status_code`
 * (301, 302, 307 or 308) when the Host allows a safe one (`https-redirect.ts`).
 *
 * A request that reached the plain listener through a trusted proxy (`trusted_ips`) that says
 * `X-Forwarded-Proto: https` was HTTPS up to that proxy: it counts as HTTPS for the 426/redirect
 * check (otherwise a route behind a TLS-terminating load balancer would redirect forever), as Kong
 * does. The 404 check reads only the listener: a client cannot make an `http`-only route vanish.
 *
 * WebSocket handshakes follow the same table with `ws`/`wss` in place of `http`/`https` (a plain
 * handshake to a `wss`-only route: 426; over TLS to a `ws`-only route: 404). A route serves one
 * family (routes.ts): a handshake to an HTTP route is refused with 400 `PC_PROXY_WEBSOCKET_REFUSED`
 * (rather than proxied as a plain GET, which is what made WebSocket APIs fail behind the gateway),
 * and an ordinary request to a WebSocket route with 426 `PC_PROXY_WEBSOCKET_REQUIRED` and
 * `Upgrade: websocket` (RFC 9110 §15.5.22).
 *
 * gRPC calls (HTTP/2 with `content-type: application/grpc…`, `grpc/grpc-request.ts`) follow it with
 * `grpc`/`grpcs`. A gRPC call and an ordinary request never reach each other's routes: each is
 * answered as if no route matched (for a gRPC client, UNIMPLEMENTED, as for an unknown method).
 */
import type { ServerResponse } from 'node:http';
import { routeFamily, type Route, type RouteFamily } from '../entities/routes.js';
import { writeJsonError } from './json-error.js';
import { httpsRedirectLocation } from './https-redirect.js';
import { isHttp2Request } from './http2/http2-request.js';

export type ProtocolVerdict = 'allowed' | 'no_route' | 'https_required' | 'websocket_required' | 'websocket_refused';

/** Each family's protocols: plain, then over TLS. */
const PAIRS = { http: ['http', 'https'], websocket: ['ws', 'wss'], grpc: ['grpc', 'grpcs'] } as const;

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 307, 308]);

/**
 * Whether `route` may answer a request that came over TLS (`secure`) or plain HTTP. The caller
 * turns `https_required` into `allowed` when a trusted proxy saw HTTPS (`saysHttps`): checked
 * only then, so the usual request reads no more headers.
 */
export function checkRouteProtocols(route: Route, secure: boolean, family: RouteFamily = 'http'): ProtocolVerdict {
  const [plain, tls] = PAIRS[family];
  if (route.protocols.includes(secure ? tls : plain)) return 'allowed';
  const served = routeFamily(route);
  if (served !== family) {
    if (family === 'websocket') return 'websocket_refused';
    return served === 'websocket' ? 'websocket_required' : 'no_route';
  }
  return secure ? 'no_route' : 'https_required';
}

/** Answers a request of the wrong family for its route: 426 for a request to a WebSocket route, 400 for a handshake to an HTTP route. */
export function answerWrongFamily(res: ServerResponse, verdict: 'websocket_required' | 'websocket_refused', requestId: string): number {
  if (verdict === 'websocket_refused') {
    writeJsonError(res, { status: 400, code: 'PC_PROXY_WEBSOCKET_REFUSED', close: true }, requestId);
    return 400;
  }
  const connection = res.shouldKeepAlive ? 'Upgrade' : 'Upgrade, close';
  writeJsonError(res, { status: 426, code: 'PC_PROXY_WEBSOCKET_REQUIRED', headers: { upgrade: 'websocket', connection } }, requestId);
  return 426;
}

/** True when a trusted proxy's `X-Forwarded-Proto` says the client spoke HTTPS to it. */
export function saysHttps(value: string | string[] | undefined): boolean {
  return typeof value === 'string' && value.trim().toLowerCase() === 'https';
}

export interface HttpsRequiredFacts {
  /** The host the client asked for (Host header, or the absolute-form authority). */
  readonly host: string | undefined;
  /** The origin-form target as received: path and query. */
  readonly pathAndQuery: string;
  /** The HTTPS listener's port; null when it is off. */
  readonly tlsPort: number | null;
  readonly requestId: string;
}

/** Answers a plain request to an HTTPS-only route: the route's redirect, or 426. Returns the status sent. */
export function answerHttpsRequired(res: ServerResponse, route: Route, facts: HttpsRequiredFacts): number {
  // Until the route entity carries the field, its absence means 426.
  const status = (route as { https_redirect_status_code?: number }).https_redirect_status_code ?? 426;
  const location = REDIRECT_STATUSES.has(status) ? httpsRedirectLocation(facts.host, facts.pathAndQuery, facts.tlsPort) : null;
  if (location !== null) {
    res.writeHead(status, { location, 'content-length': 0, 'x-request-id': facts.requestId });
    res.end();
    return status;
  }
  // No redirect asked for, or none that is safe to build from this Host: the client is told to use TLS.
  // HTTP/2 (h2c) forbids connection-specific fields: the 426 goes without them.
  if (res.req !== undefined && isHttp2Request(res.req)) {
    writeJsonError(res, { status: 426, code: 'PC_PROXY_HTTPS_REQUIRED' }, facts.requestId);
    return 426;
  }
  // `Upgrade` is hop-by-hop, so Connection names it; a connection the client (or HTTP/1.0) closes stays closing.
  const connection = res.shouldKeepAlive ? 'Upgrade' : 'Upgrade, close';
  writeJsonError(res, { status: 426, code: 'PC_PROXY_HTTPS_REQUIRED', headers: { upgrade: 'TLS/1.2, HTTP/1.1', connection } }, facts.requestId);
  return 426;
}
