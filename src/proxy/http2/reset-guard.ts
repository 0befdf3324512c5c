/**
 * The rapid-reset defence (CVE-2023-44487): a client that opens streams and cancels them at once
 * never holds more than `http2_max_concurrent_streams`, yet makes the gateway route, run plugins
 * and call upstreams for each. Every stream that closes before its answer's headers were sent,
 * or with an error code (an RST_STREAM mid-answer), takes a token from a bucket of
 * `http2_stream_reset_burst` tokens refilled at `http2_stream_reset_rate` per second; an empty
 * bucket closes the connection with GOAWAY `ENHANCE_YOUR_CALM` and destroys it. (Node 20 has no
 * `streamResetBurst` option, and nghttp2's built-in limit, 1000 at 33/s, is not configurable
 * through Node.) Other connections are not affected.
 */
import { constants, type Http2Session, type ServerHttp2Stream } from 'node:http2';

export interface ResetLimits {
  readonly burst: number;
  /** Tokens per second. */
  readonly rate: number;
}

/** Watches `session`'s streams; calls `onExceeded` once, when the connection is closed for it. */
export function guardResets(session: Http2Session, limits: ResetLimits, onExceeded: () => void, now: () => number = performance.now.bind(performance)): void {
  let tokens = limits.burst;
  let last = now();
  let tripped = false;
  const cancelled = () => {
    if (tripped) return;
    const at = now();
    tokens = Math.min(limits.burst, tokens + ((at - last) / 1000) * limits.rate);
    last = at;
    tokens -= 1;
    if (tokens >= 0) return;
    tripped = true;
    if (!session.destroyed) {
      session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM);
      session.destroy();
    }
    onExceeded();
  };
  session.on('stream', (stream: ServerHttp2Stream) => {
    stream.once('close', () => {
      // Cancelled: reset with an error code, or closed before any answer was sent (a client's
      // RST_STREAM NO_ERROR closes the stream as if it had ended normally).
      if (stream.rstCode !== constants.NGHTTP2_NO_ERROR || !stream.headersSent) cancelled();
    });
  });
}
