/**
 * The proxy listener: a `node:http` server (strict parser, header size from the config) whose
 * request handler routes, enforces the body limit, runs the plugins and hands the request to an
 * `UpstreamExchange` (through the chain's upstream hooks when it has any:
 * forward-through-hooks.ts). It reads the runtime state through `getState()` once per request,
 * so a new configuration takes effect for the next request without a restart. Closing stops
 * accepting, lets in-flight requests finish up to `shutdown_timeout`, then cuts what remains.
 *
 * Before routing it refuses (400, JSON, X-Request-Id) a target it cannot parse, a path that
 * normalisation or the router's confinement refuses (`PC_PROXY_PATH_REFUSED`) and an ambiguous
 * request (`ambiguous-request.ts`). `Expect: 100-continue` is answered only once routing and the
 * access phase accepted the request (`checkContinue`); a refusal before that closes the connection
 * without reading the body. What never reaches the handler is answered by `client-error.ts`.
 *
 * Upstream TLS settings come from the state (`upstreamTlsOf`); a service whose CA or client
 * certificate could not be loaded is answered 502 PC_PROXY_UPSTREAM_TLS_CONFIG after the access
 * phase, without connecting.
 * With `proxy_listen_tls` on, an HTTPS server (`tls/tls-server.ts`: certificate per SNI, TLS 1.2+,
 * HTTP/2 or HTTP/1.1 by ALPN) runs the same handler, as does the h2c one (`proxy-listeners.ts`); routes' `protocols` are checked once a route matched, before any plugin
 * (`route-protocols.ts`), and the upstream is told `https` in X-Forwarded-Proto and Forwarded.
 *
 * WebSocket handshakes (the listeners' `upgrade` event) come through `websocket/websocket-proxy.ts`
 * into this same handler, with a response on the raw socket; `proceed` marks an accepted one as an
 * upgrade before it goes upstream. Open WebSocket connections count in the drain; those left when
 * `shutdown_timeout` ends are closed with 1001 before the listeners cut what remains.
 *
 * gRPC calls (HTTP/2, `application/grpc`: `grpc/grpc-call.ts`) take the same path to `grpc`/`grpcs`
 * routes: their response is marked first, so every error is a gRPC status (`grpc/grpc-error.ts`),
 * and `te: trailers` (hop-by-hop, so dropped with the others) is sent upstream, as gRPC requires.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Http2SecureServer, Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { ProxyMetrics } from '../observability/metrics.js';
import type { AccessOutcome } from '../plugins/plugin.js';
import type { RuntimeState } from './runtime-state.js';
import { isPathRefused, type RouteMatch } from './router.js';
import type { PluginChain } from './plugin-chain.js';
import { buildUpstreamHeaders, pickRequestId } from './headers.js';
import { isRefusal, parseRequestTarget, type RequestTarget } from './request-target.js';
import { ambiguityOf } from './ambiguous-request.js';
import { writeJsonError } from './json-error.js';
import { createProxyContext, type ProxyContext } from './proxy-context.js';
import { runAccessPhase, writeAccessOutcome } from './plugin-runner.js';
import { createRequestMetrics, routeLabel } from './request-metrics.js';
import { createUpstreamPool, upstreamHostHeader } from './upstream-pool.js';
import { TLS_CONFIG_FAILURE } from './upstream-errors.js';
import { UpstreamExchange, type ExchangeDeps } from './upstream-exchange.js';
import { forwardThroughHooks } from './forward-through-hooks.js';
import { BodyLimitStream } from './body-limit.js';
import { hasBody, inspectionOf, type InspectedType } from './body-fields.js';
import { inspectAroundAccess } from './body-inspection.js';
import { createDrain } from './drain.js';
import { createTrustedProxies, peerAddress } from './trusted-proxies.js';
import { answerHttpsRequired, answerWrongFamily, checkRouteProtocols, saysHttps, type ProtocolVerdict } from './route-protocols.js';
import { createProxyListeners, type ListenerFacts } from './proxy-listeners.js';
import { createWebSocketProxy } from './websocket/websocket-proxy.js';
import { createRevocationWatcher } from './websocket/revocation-watcher.js';
import { GOING_AWAY } from './websocket/close-frame.js';
import { grpcOutcomeOf, isGrpcCall, isGrpcRequest, markGrpcCall } from './grpc/grpc-call.js';
import type { EventSubscriber } from '../cluster/event-bus.js';
import type { ApiKeyRecord } from '../entities/api-keys.js';

/** What the proxy listener is built from (all passed in by the node). */
export interface ProxyServerDeps {
  getState(): RuntimeState;
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: ProxyMetrics;
  /** The node's default TLS certificate (tls/default-certificate.ts): required unless `proxy_listen_tls` is `off`. */
  readonly defaultCertificate?: { readonly cert: string; readonly key: string };
  /** Reads a stored API key by row id, for key-auth's `close_on_revoke` on open WebSocket connections. */
  readonly findApiKey?: (id: string) => Promise<Pick<ApiKeyRecord, 'status' | 'expires_at'> | null>;
}

/** The proxy listener of one node. */
export interface ProxyServer {
  /** Listens on `proxy_listen`, then on `proxy_listen_tls` and `proxy_listen_h2c` unless `off` (port 0 picks a free port). */
  listen(): Promise<{ http: AddressInfo; https: AddressInfo | null; h2c: AddressInfo | null }>;
  /** Stops accepting on both, drains in-flight requests up to `shutdown_timeout`, then destroys the rest. */
  close(): Promise<void>;
  readonly server: Server;
  /** The HTTPS (h2 and HTTP/1.1) server; null when `proxy_listen_tls` is `off`. */
  readonly tlsServer: Http2SecureServer | null;
  /** The cleartext HTTP/2 server; null when `proxy_listen_h2c` is `off`. */
  readonly h2cServer: Http2Server | null;
  /** Closes open WebSocket connections whose API key is revoked (subscribe it to the node's event bus). */
  readonly websocketRevocations: EventSubscriber;
}

/** Creates the proxy listener (not yet listening). */
export function createProxyServer(deps: ProxyServerDeps): ProxyServer {
  const { config, logger } = deps;
  const limit = config.max_request_body_size;
  const metrics = createRequestMetrics(deps.metrics);
  const pool = createUpstreamPool({
    connectTimeout: config.upstream_connect_timeout,
    readTimeout: config.upstream_read_timeout,
    keepAliveTimeout: config.upstream_keepalive_timeout,
    poolSize: config.upstream_keepalive_pool_size,
  });
  const drain = createDrain();
  const trustedProxies = createTrustedProxies(config.trusted_ips);
  const websockets = createWebSocketProxy({ config, logger, metrics: deps.metrics, drain });
  const exchangeDeps: ExchangeDeps = { metrics, logger, isClosing: () => drain.closing, onDone: () => drain.leave() };

  const handle = (req: IncomingMessage, res: ServerResponse, listener: ListenerFacts): void => {
    const startedAt = performance.now();
    const requestId = pickRequestId(req.headers['x-request-id']);
    try {
      route(req, res, requestId, startedAt, listener);
    } catch (err) {
      failed(res, requestId, err);
    }
  };

  /**
   * Responses of `Expect: 100-continue` requests whose 100 is still owed, with the keep-alive to
   * restore once it is sent. Until then every answer closes the connection: the body it did not
   * read may still come.
   */
  const owedContinue = new WeakMap<ServerResponse, boolean>();

  /** The `checkContinue` listener: Node leaves the 100 to us; `letBodyCome` sends it. */
  const expectingContinue = (req: IncomingMessage, res: ServerResponse, listener: ListenerFacts): void => {
    // HTTP/2 responses have no keep-alive flag (`undefined`): the stream ends, the connection stays.
    owedContinue.set(res, res.shouldKeepAlive === true);
    res.shouldKeepAlive = false;
    handle(req, res, listener);
  };

  /** Sends the owed 100 Continue, if any: called only once the request is accepted. */
  const letBodyCome = (req: IncomingMessage, res: ServerResponse): void => {
    if (req.headers.expect === undefined) return;
    const keepAlive = owedContinue.get(res);
    if (keepAlive === undefined) return;
    owedContinue.delete(res);
    res.shouldKeepAlive = keepAlive;
    res.writeContinue();
  };

  const route = (req: IncomingMessage, res: ServerResponse, requestId: string, startedAt: number, listener: ListenerFacts): void => {
    const headers = req.headers;
    const grpc = isGrpcRequest(req);
    if (grpc) markGrpcCall(res);
    const target = parseRequestTarget(req.url ?? '/');
    if (isRefusal(target)) return answerUnrouted(res, 400, target.refused, requestId, startedAt);
    const ambiguity = ambiguityOf(req, target.authority);
    if (ambiguity !== null) {
      // The request may be framed differently by whoever sent it here: nothing after it is trusted.
      res.shouldKeepAlive = false;
      return answerUnrouted(res, 400, 'PC_BAD_REQUEST', requestId, startedAt, ambiguity);
    }
    const host = target.authority ?? headers.host;
    const state = deps.getState();
    const match = state.router.match(req.method ?? 'GET', host, target.path, headers);
    if (match === null) return answerUnrouted(res, 404, 'PC_PROXY_NO_ROUTE', requestId, startedAt);
    if (isPathRefused(match)) return answerUnrouted(res, 400, 'PC_PROXY_PATH_REFUSED', requestId, startedAt);
    const verdict = checkRouteProtocols(match.route, listener.secure, grpc ? 'grpc' : websockets.isHandshake(req) ? 'websocket' : 'http');
    if (verdict !== 'allowed' && !(verdict === 'https_required' && forwardedHttps(req))) {
      return refuseProtocol(req, res, verdict, match, target, host, requestId, startedAt);
    }

    const ctx = contextFor(req, target, host, match, state.pluginsFor(match), requestId, listener);
    drain.enter();
    const exchange = new UpstreamExchange(ctx, res, startedAt, exchangeDeps);
    const length = headers['content-length'];
    if (length !== undefined && limit > 0 && Number(length) > limit) {
      // Refused before anything reads the body; the connection closes instead of draining it.
      return writeJsonError(res, { status: 413, code: 'PC_BODY_TOO_LARGE', close: true }, requestId);
    }
    if ((ctx.plugins.readsBody || ctx.plugins.removesBodyFields) && hasBody(req)) {
      // Only form, JSON and multipart bodies are inspected; any other type streams untouched.
      const inspection = inspectionOf(headers);
      if (inspection !== null) {
        inspectThenAccess(req, res, ctx, exchange, state, inspection).catch((err: unknown) => failed(res, ctx.requestId, err));
        return;
      }
    }
    const outcome = runAccessPhase(ctx, state);
    if (outcome instanceof Promise) {
      outcome.then((settled) => proceed(req, res, ctx, exchange, state, settled)).catch((err: unknown) => failed(res, ctx.requestId, err));
    } else {
      proceed(req, res, ctx, exchange, state, outcome);
    }
  };

  /** For chains that read or remove body fields: the access phase with the body inspected around it. */
  const inspectThenAccess = async (
    req: IncomingMessage,
    res: ServerResponse,
    ctx: ProxyContext,
    exchange: UpstreamExchange,
    state: RuntimeState,
    inspection: InspectedType | 'compressed',
  ) => {
    const inspected = await inspectAroundAccess(req, ctx, inspection, {
      limit,
      readsFields: ctx.plugins.readsBody,
      runAccess: () => runAccessPhase(ctx, state),
      stream: () => requestBody(req, limit),
      letBodyCome: () => letBodyCome(req, res),
    });
    if (inspected.kind === 'refused') return writeJsonError(res, inspected.error, ctx.requestId);
    proceed(req, res, ctx, exchange, state, inspected.outcome, inspected.body);
  };

  /** A trusted proxy in front said the client spoke HTTPS to it. */
  const forwardedHttps = (req: IncomingMessage) => trustedProxies.has(peerAddress(req.socket.remoteAddress)) && saysHttps(req.headers['x-forwarded-proto']);

  /** A route whose `protocols` exclude this request's: 404 over TLS, else 426 or the route's redirect. */
  const refuseProtocol = (
    req: IncomingMessage,
    res: ServerResponse,
    verdict: Exclude<ProtocolVerdict, 'allowed'>,
    match: RouteMatch,
    target: RequestTarget,
    host: string | undefined,
    requestId: string,
    startedAt: number,
  ): void => {
    if (verdict === 'no_route') return answerUnrouted(res, 404, 'PC_PROXY_NO_ROUTE', requestId, startedAt);
    if (verdict === 'websocket_required' || verdict === 'websocket_refused') {
      return recordAnswer(res, match, answerWrongFamily(res, verdict, requestId), startedAt);
    }
    const url = req.url ?? '/';
    // The absolute form (`GET http://host/p`) is redirected to its path; the origin form as received.
    const pathAndQuery = url.charCodeAt(0) === 47 ? url : target.path + (target.query === '' ? '' : `?${target.query}`);
    const tlsPort = listeners.secure.port === '' ? null : Number(listeners.secure.port);
    recordAnswer(res, match, answerHttpsRequired(res, match.route, { host, pathAndQuery, tlsPort, requestId }), startedAt);
  };

  /** Metrics of a request answered without reaching an exchange (which records its own at close). */
  const recordAnswer = (res: ServerResponse, match: Pick<RouteMatch, 'route' | 'service'> | null, status: number, startedAt: number): void => {
    const route = match?.route ?? null;
    const service = match?.service ?? null;
    metrics.request(route, service, status, (performance.now() - startedAt) / 1000);
    // The gateway's gRPC errors are trailers-only: their status is in the headers, already set.
    if (isGrpcCall(res)) metrics.grpcCall(route, service, grpcOutcomeOf(res, true));
  };

  const contextFor = (
    req: IncomingMessage,
    target: RequestTarget,
    host: string | undefined,
    match: RouteMatch,
    plugins: PluginChain,
    requestId: string,
    listener: ListenerFacts,
  ) => {
    const upstreamHost = match.service === null ? null : upstreamHostHeader(match.service);
    const peerIp = peerAddress(req.socket.remoteAddress);
    const trustedPeer = trustedProxies.has(peerIp);
    const clientIp = trustedPeer ? trustedProxies.clientAddress(req.headers['x-forwarded-for'], peerIp) : peerIp;
    const upstreamHeaders = buildUpstreamHeaders(req.headers, {
      peerIp,
      trustedPeer,
      clientIp,
      requestId,
      requestHost: host ?? '',
      port: listener.port || String(req.socket.localPort ?? ''),
      proto: listener.secure ? 'https' : 'http',
      upstreamHost: match.route.preserve_host || upstreamHost === null ? (host ?? upstreamHost ?? '') : upstreamHost,
    });
    return createProxyContext({ req, path: target.path, query: target.query, requestId, clientIp, match, plugins, upstreamHeaders });
  };

  const proceed = (
    req: IncomingMessage,
    res: ServerResponse,
    ctx: ProxyContext,
    exchange: UpstreamExchange,
    state: RuntimeState,
    outcome: AccessOutcome,
    buffered?: Readable,
  ): void => {
    if (exchange.clientGone) return;
    if (outcome.kind === 'reject' || outcome.kind === 'respond') return writeAccessOutcome(res, ctx, outcome);
    if (ctx.service === null) {
      return writeJsonError(res, { status: 503, code: 'PC_PROXY_NO_SERVICE' }, ctx.requestId);
    }
    const tls = state.upstreamTlsOf(ctx.service);
    // A CA or client certificate the service references could not be loaded: never connect with less.
    if (tls === 'unusable') return refuseUnusableTls(res, ctx);
    if (websockets.isHandshake(req)) websockets.expect(ctx, res, exchange);
    if (isGrpcCall(res)) ctx.upstreamHeaders['te'] = 'trailers';
    letBodyCome(req, res);
    const target = pool.targetFor(ctx.service, tls);
    const body = buffered ?? requestBody(req, limit);
    if (!ctx.plugins.hooksUpstream) return exchange.forward(target, body);
    // A client that left before its body was whole (buffering it failed) is not a failure of the proxy.
    const failedHere = (err: unknown) => (exchange.clientGone || (req.destroyed && !req.complete) ? undefined : failed(res, ctx.requestId, err));
    forwardThroughHooks(ctx, res, exchange, target, body, { logger, failed: failedHere }).catch(failedHere);
  };

  const refuseUnusableTls = (res: ServerResponse, ctx: ProxyContext): void => {
    metrics.upstreamError(ctx.route, ctx.service, TLS_CONFIG_FAILURE.kind);
    const service = ctx.service?.name ?? ctx.service?.id;
    logger.warn(
      { request_id: ctx.requestId, route: routeLabel(ctx.route), service, kind: TLS_CONFIG_FAILURE.kind, code: TLS_CONFIG_FAILURE.code },
      'upstream request refused',
    );
    writeJsonError(res, TLS_CONFIG_FAILURE, ctx.requestId);
  };

  /** The unexpected (a plugin that threw, a header Node refused): 500, logged with the request id. */
  const failed = (res: ServerResponse, requestId: string, err: unknown): void => {
    logger.error({ requestId, err }, 'proxy request failed unexpectedly');
    writeJsonError(res, { status: 500, code: 'PC_INTERNAL' }, requestId);
  };

  const answerUnrouted = (
    res: ServerResponse,
    status: number,
    code: 'PC_PROXY_NO_ROUTE' | 'PC_BAD_REQUEST' | 'PC_PROXY_PATH_REFUSED',
    requestId: string,
    startedAt: number,
    message?: string,
  ): void => {
    writeJsonError(res, { status, code, message }, requestId);
    recordAnswer(res, null, status, startedAt);
  };

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer, listener: ListenerFacts): void =>
    websockets.accept(req, socket, head, (res) => handle(req, res, listener));
  const listeners = createProxyListeners(deps, { request: handle, expectingContinue, upgrade });
  const noKeys = async () => null;

  return {
    server: listeners.server,
    tlsServer: listeners.tlsServer,
    h2cServer: listeners.h2cServer,
    websocketRevocations: createRevocationWatcher({
      tunnels: websockets.watched,
      findApiKey: deps.findApiKey ?? noKeys,
      logger,
    }),
    listen: () => listeners.listen(),
    async close() {
      await listeners.close(drain, () => websockets.closeAll(GOING_AWAY));
      await pool.destroy();
    },
  };
}

/** The body stream to send upstream: none, the request itself, or the request through the limit. */
function requestBody(req: IncomingMessage, limit: number): Readable | null {
  const length = req.headers['content-length'];
  if (length !== undefined) return length === '0' ? null : req;
  if (req.headers['transfer-encoding'] === undefined) return null;
  return limit > 0 ? req.pipe(new BodyLimitStream(limit)) : req;
}
