/**
 * Cancelling a call to an HTTP/2 upstream as a client should: RST_STREAM CANCEL, and nothing before it.
 *
 * Undici cancels an HTTP/2 call (its client left, a timeout, a body over `max_request_body_size`)
 * with its stream's `close()`. Node's `close()` ends the stream's writable side first, then sends
 * RST_STREAM NO_ERROR. So the upstream receives END_STREAM: the part of the body sent so far reads
 * as the whole request (a client stream cut between two gRPC messages, as the client's
 * half-close). The reset that follows says NO_ERROR, which Node's own HTTP/2 server even takes as
 * a normal end of the request. Measured on Node 20.20 and 24.21 with a frame log between the two.
 *
 * Here every stream of a pool's HTTP/2 sessions answers undici's `close()` with a cancel: while
 * its request is still being sent, the stream is destroyed with an AbortError (RST_STREAM CANCEL
 * alone: a destroyed stream's writable side is never ended); once the request was sent whole, it
 * is closed with CANCEL. Destroying, not closing, also keeps away from the Node bug where a stream
 * closed and then destroyed behind a pending socket write leaves the session sending empty DATA
 * frames in a loop (`scripts/check-node-http2-abort-loop.mjs`).
 */
import { constants, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { http2SessionOf } from '../../util/undici.js';

const { NGHTTP2_CANCEL } = constants;

/**
 * Makes every HTTP/2 connection `pool` opens cancel its calls with RST_STREAM CANCEL alone
 * (see above). Connections that speak HTTP/1.1 are left as they are.
 */
export function cancelCallsWithReset(pool: Dispatcher): void {
  pool.on('connect', (_origin, targets) => {
    // A Pool reports itself and then the Client that connected.
    const session = http2SessionOf(targets[targets.length - 1]!);
    if (session !== undefined && !patched.has(session)) {
      patched.add(session);
      const request = session.request;
      session.request = function (this: ClientHttp2Session, ...args: Parameters<ClientHttp2Session['request']>): ClientHttp2Stream {
        const stream = request.apply(this, args);
        nodeClose ??= stream.close;
        stream.close = closeByCancel;
        return stream;
      };
    }
  });
}

const patched = new WeakSet<ClientHttp2Session>();
/** `Http2Stream.prototype.close`, taken from the first stream. */
let nodeClose: ClientHttp2Stream['close'] | undefined;

/** A stream's `close`: as Node's when given a code, a cancel when called without one (undici's abort). */
function closeByCancel(this: ClientHttp2Stream, code?: number, callback?: () => void): void {
  if (code !== undefined || this.closed || this.destroyed) {
    nodeClose!.call(this, code, callback);
    return;
  }
  if (callback !== undefined) this.once('close', callback);
  if (this.writableEnded) {
    // The request went whole (its END_STREAM is out or queued): only the answer is cancelled.
    nodeClose!.call(this, NGHTTP2_CANCEL);
    return;
  }
  // Undici's listener may be gone by the time the stream reports the error it is destroyed with.
  this.on('error', ignore);
  this.destroy(new AbortErrorClass());
}

function ignore(): void {}

/**
 * Node's internal AbortError: the one error `Http2Stream#destroy` turns into RST_STREAM CANCEL
 * (any other gives INTERNAL_ERROR). Node does not export it; a stream built with an aborted
 * signal is destroyed with one at once. `Error` if that ever changes (the reset then says
 * INTERNAL_ERROR: still a reset, still no END_STREAM).
 */
const AbortErrorClass: new () => Error = (() => {
  const probe = new Readable({ read() {}, signal: AbortSignal.abort() });
  probe.on('error', ignore);
  const error = probe.errored;
  return error instanceof Error && error.name === 'AbortError' ? (error.constructor as new () => Error) : Error;
})();
