/**
 * One proxied request from route match to the end of its response: it sends the request through
 * undici's dispatcher and is itself the dispatch handler, so response bytes go from the upstream
 * socket to the client socket with no intermediate stream, with back-pressure both ways. It maps
 * upstream failures to JSON errors, aborts the upstream call when the client goes away, and
 * records the request's metrics once the response is closed. A WebSocket handshake
 * (`expectUpgrade`) is sent with undici's `upgrade`; a `101` ends the exchange there (recorded as
 * 101, the drain left) and hands both sockets to the caller; any other answer is relayed as usual.
 *
 * The upstream's trailers are relayed to an HTTP/2 client (gRPC's `grpc-status`/`grpc-message` are
 * trailers). A gRPC upstream's trailers-only answer (`grpc-status` in the headers) stays
 * trailers-only: set as headers and sent with the end of the stream, or the client, which reads the
 * status only from a frame that ends the stream, would see none.
 */
import type { ServerResponse } from 'node:http';
import { Readable, type Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { ResponseHead } from '../plugins/plugin.js';
import type { ProxyContext } from './proxy-context.js';
import type { RequestMetrics } from './request-metrics.js';
import type { UpstreamTarget } from './upstream-pool.js';
import { filterResponseHeaders, HOP_BY_HOP } from './headers.js';
import { grpcOutcomeOf, isGrpcCall } from './grpc/grpc-call.js';
import { isHttp2Request } from './http2/http2-request.js';
import { runResponsePhase } from './plugin-runner.js';
import { writeJsonError } from './json-error.js';
import { classifyUpstreamError } from './upstream-errors.js';
import { bodyRefusal } from './body-refusal.js';
import { routeLabel } from './request-metrics.js';

/** What an exchange reports to, shared by all exchanges of one proxy server. */
export interface ExchangeDeps {
  readonly metrics: RequestMetrics;
  readonly logger: Logger;
  /** True while the server shuts down: responses then ask clients to close their connection. */
  isClosing(): boolean;
  /** Called once per exchange, when its response is closed (finished or cut). */
  onDone(): void;
}

/** A protocol upgrade the request asks the upstream for (a WebSocket handshake). */
export interface ExpectedUpgrade {
  /** The `Upgrade` token sent: `websocket`. */
  readonly protocol: string;
  /** Time the upstream has to answer the handshake (ms), in place of the read timeout. */
  readonly timeout: number;
  /** The upstream switched protocols: `socket` is its connection, the upstream's head already read. */
  onUpgrade(headers: Record<string, string | string[] | undefined>, socket: Duplex): void;
}

/** Status recorded for a request whose client left before the response finished (nginx's 499). */
const CLIENT_CLOSED = 499;

/** One routed request's lifecycle: created when the route matched, done when its response closed. */
/** Bytes of an HTTP/2 upstream's answer held for a client that reads it slowly (see onResponseData). */
export const HTTP2_UPSTREAM_BUFFER = 8 * 1024 * 1024;

export class UpstreamExchange implements Dispatcher.DispatchHandler {
  readonly #ctx: ProxyContext;
  readonly #res: ServerResponse;
  readonly #startedAt: number;
  readonly #deps: ExchangeDeps;
  #controller: Dispatcher.DispatchController | null = null;
  #dispatchedAt = 0;
  #upstreamSettled = false;
  #clientGone = false;
  #resume: (() => void) | null = null;
  /** Kept for retries: a request without a body that could not connect is sent again. */
  #target: UpstreamTarget | null = null;
  /** Who handles the current attempt's dispatch: this exchange, or one holding its answer (RetryableAttempt). */
  #handler: Dispatcher.DispatchHandler = this;
  #retriesLeft = 0;
  #attempts = 0;
  #upgrade: ExpectedUpgrade | null = null;
  /** Set once an upgrade ended the exchange: the client's close is the tunnel's, not ours. */
  #upgraded = false;
  /** The client's body stream, when it goes to an HTTP/2 upstream as chunks (see forward): ended here if the client leaves. */
  #iterated: Readable | null = null;

  constructor(ctx: ProxyContext, res: ServerResponse, startedAt: number, deps: ExchangeDeps) {
    this.#ctx = ctx;
    this.#res = res;
    this.#startedAt = startedAt;
    this.#deps = deps;
    res.on('close', () => this.#onClientClose());
  }

  /** True once the client connection closed before the response finished. */
  get clientGone(): boolean {
    return this.#clientGone;
  }

  /** Makes the request a protocol upgrade; call before `forward`. */
  expectUpgrade(upgrade: ExpectedUpgrade): void {
    this.#upgrade = upgrade;
  }

  /**
   * Sends the request upstream; `body` is the client's body stream, its buffered bytes, or null
   * when it has none. `handler` receives the upstream's answer in place of this exchange (which it
   * must pass on to), e.g. to hold an answer that may be retried.
   */
  forward(target: UpstreamTarget, body: Readable | Buffer | null, handler: Dispatcher.DispatchHandler = this): void {
    const ctx = this.#ctx;
    this.#dispatchedAt = performance.now();
    // Retries (the service's `retries`) only where the request surely never reached the upstream
    // and can be sent again whole: a failed connection, and no body stream to replay.
    if (this.#attempts++ === 0) this.#retriesLeft = body === null ? (ctx.service?.retries ?? 0) : 0;
    this.#target = target;
    // An upgrade answer cannot be held and retried (RetryableAttempt): the exchange takes it itself.
    const upgrade = this.#upgrade;
    this.#handler = upgrade === null ? handler : this;
    const readTimeout = upgrade === null ? target.readTimeout : upgrade.timeout;
    // To an HTTP/2 upstream a body stream goes as an async iterable of its chunks. Undici pipes a
    // stream body into its HTTP/2 stream, and aborting the call (the client left) then destroys
    // that stream while Node may still hold its RST_STREAM behind a pending socket write: the
    // next WINDOW_UPDATE from the upstream makes Node's HTTP/2 session send empty DATA frames in a
    // loop that never returns (Node 20.20 and 24.21: 100 % CPU, memory to a crash, seen with a
    // client cancelling a call whose upstream reads slowly). An iterable body leaves the stream to
    // the pool's cancel alone (http2/upstream-cancel.ts: RST_STREAM CANCEL, no END_STREAM first).
    // `scripts/check-node-http2-abort-loop.mjs` tells whether a Node still has the bug.
    let sent: Readable | Buffer | AsyncIterable<Buffer> | null = body;
    if (target.http2 && body instanceof Readable) {
      this.#iterated = body;
      sent = chunksOf(body);
    }
    const options = {
      path: upstreamRequestTarget(ctx),
      method: ctx.method as Dispatcher.HttpMethod,
      headers: ctx.upstreamHeaders as Dispatcher.DispatchOptions['headers'],
      body: sent as Dispatcher.DispatchOptions['body'],
      headersTimeout: readTimeout,
      bodyTimeout: readTimeout,
      // Always present (undici reads a missing one as undefined): one object shape for every
      // request. A spread here made V8 define the properties after it one by one, at run time.
      upgrade: upgrade === null ? undefined : upgrade.protocol,
      // Undici reads it (not in its types): pinned, or it would follow the Host header (upstream-pool.ts).
      servername: target.servername,
    };
    target.dispatcher.dispatch(options, this.#handler);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#clientGone) controller.abort(new Error('client closed the connection'));
  }

  onRequestUpgrade(_controller: Dispatcher.DispatchController, _status: number, headers: Record<string, string | string[] | undefined>, socket: Duplex): void {
    const ctx = this.#ctx;
    this.#upstreamSettled = true;
    if (this.#clientGone || this.#upgrade === null) {
      socket.destroy();
      return;
    }
    this.#upgraded = true;
    const now = performance.now();
    this.#deps.metrics.upstreamLatency(ctx.route, ctx.service, (now - this.#dispatchedAt) / 1000);
    this.#deps.metrics.request(ctx.route, ctx.service, 101, (now - this.#startedAt) / 1000);
    this.#upgrade.onUpgrade(headers, socket);
    this.#deps.onDone();
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    const ctx = this.#ctx;
    this.#deps.metrics.upstreamLatency(ctx.route, ctx.service, (performance.now() - this.#dispatchedAt) / 1000);
    const head: ResponseHead = { status: statusCode, headers: filterResponseHeaders(headers) as ResponseHead['headers'] };
    try {
      if (ctx.plugins.response.length > 0) runResponsePhase(ctx, head);
      for (const name in ctx.responseHeaders) head.headers[name] = ctx.responseHeaders[name];
      head.headers['x-request-id'] = ctx.requestId;
      if (this.#deps.isClosing()) this.#res.shouldKeepAlive = false;
      if (head.headers['grpc-status'] !== undefined && isGrpcCall(this.#res)) this.#holdTrailersOnly(head);
      else this.#res.writeHead(head.status, head.headers as Record<string, string | string[]>);
    } catch (err) {
      // A header Node refuses to write (or a throwing plugin): the response cannot be relayed.
      this.#deps.logger.error({ request_id: ctx.requestId, err }, 'upstream response could not be relayed');
      this.#upstreamSettled = true;
      controller.abort(err as Error);
      writeJsonError(this.#res, { status: 502, code: 'PC_PROXY_UPSTREAM_ERROR' }, ctx.requestId);
    }
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#res.write(chunk)) return;
    if (this.#target?.http2) {
      // Undici's HTTP/2 client (7.30) drops what a paused stream still holds when the trailers
      // arrive: a paused gRPC answer would end "OK" without its messages. So an HTTP/2 upstream is
      // never paused; what waits for a slow client is bounded instead, and past the bound the call
      // is cut (the client sees an error status, never a silently shortened answer).
      if (this.#res.writableLength > HTTP2_UPSTREAM_BUFFER) controller.abort(new Error('the client reads the answer too slowly'));
      return;
    }
    controller.pause();
    this.#resume ??= () => this.#controller?.resume();
    this.#res.once('drain', this.#resume);
  }

  onResponseEnd(controller?: Dispatcher.DispatchController, trailers?: Record<string, string | string[] | undefined>): void {
    this.#upstreamSettled = true;
    const res = this.#res;
    if (res.req !== undefined && isHttp2Request(res.req)) {
      const received = trailersOf(controller, trailers);
      const relayed: Record<string, string | string[]> = {};
      let any = false;
      for (const name in received) {
        const value = received[name];
        if (value === undefined || HOP_BY_HOP.has(name) || name.charCodeAt(0) === 58 /* : */) continue;
        relayed[name] = value;
        any = true;
      }
      if (any) res.addTrailers(relayed);
    }
    res.end();
  }

  /** Sets the head of a trailers-only gRPC answer without sending it: `end` sends it with END_STREAM. */
  #holdTrailersOnly(head: ResponseHead): void {
    const res = this.#res;
    res.statusCode = head.status;
    for (const name in head.headers) {
      const value = head.headers[name];
      if (value !== undefined) res.setHeader(name, value);
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.#upstreamSettled) return;
    this.#upstreamSettled = true;
    if (this.#clientGone) return;
    const ctx = this.#ctx;
    const refused = bodyRefusal(err);
    if (refused !== null) {
      writeJsonError(this.#res, refused, ctx.requestId);
      return;
    }
    const failure = classifyUpstreamError(err);
    if (failure.kind === 'connect' && this.#target !== null && this.#retriesLeft > 0) {
      this.#retriesLeft--;
      this.#deps.metrics.upstreamRetry(ctx.route, ctx.service);
      this.#upstreamSettled = false;
      this.#deps.logger.debug(
        { request_id: ctx.requestId, route: routeLabel(ctx.route), retriesLeft: this.#retriesLeft },
        'upstream connection failed: retrying',
      );
      this.#controller = null;
      this.forward(this.#target, null, this.#handler);
      return;
    }
    this.#deps.logger.warn(
      {
        request_id: ctx.requestId,
        route: routeLabel(ctx.route),
        service: ctx.service?.name ?? ctx.service?.id,
        kind: failure.kind,
        code: failure.code,
        err: { code: (err as { code?: string }).code, message: err.message },
      },
      'upstream request failed',
    );
    this.#deps.metrics.upstreamError(ctx.route, ctx.service, failure.kind);
    writeJsonError(this.#res, failure, ctx.requestId);
  }

  #onClientClose(): void {
    if (this.#upgraded) return;
    const res = this.#res;
    // Node's HTTP/2 compatibility response says writableFinished for a stream the client reset
    // before the end (it means "closed" there): only a response that was ended counts as finished.
    const finished = res.writableFinished && res.writableEnded;
    if (!finished) {
      this.#clientGone = true;
      if (!this.#upstreamSettled && this.#controller !== null) this.#controller.abort(new Error('client closed the connection'));
      // Undici does not end an iterable body on abort: ending the stream ends the iteration.
      this.#iterated?.destroy();
    }
    const ctx = this.#ctx;
    this.#deps.metrics.request(ctx.route, ctx.service, finished ? res.statusCode : CLIENT_CLOSED, (performance.now() - this.#startedAt) / 1000);
    if (isGrpcCall(res)) this.#deps.metrics.grpcCall(ctx.route, ctx.service, grpcOutcomeOf(res, finished));
    this.#deps.onDone();
  }
}

/**
 * The upstream's trailers. Undici 7's HTTP/2 client hands them to its handler adapter as an
 * object, which the adapter's parser (made for HTTP/1.1's flat arrays) turns into `{}`; the
 * controller keeps what was received (`rawTrailers`), so they are read from there.
 */
function trailersOf(controller: Dispatcher.DispatchController | undefined, parsed: Record<string, string | string[] | undefined> | undefined) {
  const raw = (controller as { rawTrailers?: unknown } | undefined)?.rawTrailers;
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) return raw as Record<string, string | string[] | undefined>;
  return parsed ?? {};
}

/** A body stream's chunks, for undici's iterable body (see `forward`). */
async function* chunksOf(body: Readable): AsyncGenerator<Buffer> {
  for await (const chunk of body) yield chunk as Buffer;
}

/** The path and query sent upstream for `ctx`. */
export function upstreamRequestTarget(ctx: ProxyContext): string {
  return ctx.query === '' ? ctx.match.upstreamPath : `${ctx.match.upstreamPath}?${ctx.query}`;
}
