/**
 * The HTTP/2 settings both HTTP/2 listeners (TLS by ALPN, cleartext h2c) are made with, and the
 * HTTP/1.1 parser settings copied onto the TLS one, which also serves HTTP/1.1 (`allowHTTP1`).
 *
 * Limits a client can otherwise push a server with: concurrent streams
 * (`http2_max_concurrent_streams`), the header list size (`max_header_size`, as on HTTP/1.1:
 * one limit for both versions), header pairs, SETTINGS entries and unacknowledged SETTINGS,
 * invalid frames and refused streams (a session past them is closed by nghttp2), and the memory
 * one session may hold. Server push is off: a gateway pushes nothing.
 */
import type { ServerOptions as HttpServerOptions } from 'node:http';
import type { SecureServerOptions, ServerOptions } from 'node:http2';
import type { Config } from '../../config/schema.js';

/** SETTINGS entries accepted in one frame (Node's default is 32; six are defined). */
const MAX_SETTINGS = 16;
/** Header fields per request; a header list is already bounded in bytes, this bounds tiny fields. */
const MAX_HEADER_PAIRS = 256;
/** Megabytes one session may buffer (headers, frames waiting to be sent) before it is refused new streams. */
const MAX_SESSION_MEMORY_MB = 10;
/** Malformed frames and refused streams a session may send before it is closed. */
const MAX_INVALID = 100;

export type Http2Limits = Pick<Config, 'http2_max_concurrent_streams' | 'max_header_size'>;

/** Options for `http2.createServer` / `createSecureServer` (TLS itself is done by the lanes). */
export function http2ServerOptions(config: Http2Limits): ServerOptions & SecureServerOptions {
  return {
    maxSettings: MAX_SETTINGS,
    maxOutstandingPings: 10,
    maxHeaderListPairs: MAX_HEADER_PAIRS,
    maxSessionMemory: MAX_SESSION_MEMORY_MB,
    maxSessionInvalidFrames: MAX_INVALID,
    maxSessionRejectedStreams: MAX_INVALID,
    settings: {
      enablePush: false,
      maxConcurrentStreams: config.http2_max_concurrent_streams,
      maxHeaderListSize: config.max_header_size,
    },
  };
}

/** The HTTP/1.1 options `node:http` reads from its server object, set on a server that is not an `http.Server`. */
export function applyHttp1Options(server: object, options: HttpServerOptions): void {
  Object.assign(server, {
    maxHeaderSize: options.maxHeaderSize,
    insecureHTTPParser: options.insecureHTTPParser,
    requireHostHeader: options.requireHostHeader,
    headersTimeout: options.headersTimeout,
    requestTimeout: options.requestTimeout,
    keepAliveTimeout: options.keepAliveTimeout,
  });
}
