/**
 * What an upstream failure means to the client: one table from undici's error codes (and the
 * socket errors under them) to a status, a catalogue code, and the `kind` label of the
 * `portcullis_upstream_errors_total` metric. Timeouts are 504; everything else the upstream did
 * wrong is 502.
 */
import type { ErrorCode } from '../errors/catalogue.js';

/** The `kind` label of `portcullis_upstream_errors_total`. */
export type UpstreamErrorKind = 'connect' | 'timeout' | 'reset' | 'protocol' | 'internal';

/** How one upstream failure is answered and counted. */
export interface UpstreamFailure {
  readonly status: number;
  readonly code: ErrorCode;
  readonly kind: UpstreamErrorKind;
}

const TIMEOUT: UpstreamFailure = Object.freeze({ status: 504, code: 'PC_PROXY_UPSTREAM_TIMEOUT', kind: 'timeout' });
const CONNECT: UpstreamFailure = Object.freeze({ status: 502, code: 'PC_PROXY_UPSTREAM_UNAVAILABLE', kind: 'connect' });
const RESET: UpstreamFailure = Object.freeze({ status: 502, code: 'PC_PROXY_UPSTREAM_UNAVAILABLE', kind: 'reset' });
const PROTOCOL: UpstreamFailure = Object.freeze({ status: 502, code: 'PC_PROXY_UPSTREAM_ERROR', kind: 'protocol' });
const INTERNAL: UpstreamFailure = Object.freeze({ status: 500, code: 'PC_INTERNAL', kind: 'internal' });

const BY_CODE: ReadonlyMap<string, UpstreamFailure> = new Map([
  ['UND_ERR_CONNECT_TIMEOUT', TIMEOUT],
  ['UND_ERR_HEADERS_TIMEOUT', TIMEOUT],
  ['UND_ERR_BODY_TIMEOUT', TIMEOUT],
  ['ETIMEDOUT', TIMEOUT],
  ['ECONNREFUSED', CONNECT],
  ['EHOSTUNREACH', CONNECT],
  ['ENETUNREACH', CONNECT],
  ['ENOTFOUND', CONNECT],
  ['EAI_AGAIN', CONNECT],
  ['EADDRNOTAVAIL', CONNECT],
  ['ECONNRESET', RESET],
  ['EPIPE', RESET],
  ['UND_ERR_SOCKET', RESET],
  ['UND_ERR_CLOSED', RESET],
  ['UND_ERR_DESTROYED', RESET],
  ['UND_ERR_INFO', RESET],
  ['HPE_INVALID_CONSTANT', PROTOCOL],
  ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', PROTOCOL],
  ['UND_ERR_HEADERS_OVERFLOW', PROTOCOL],
  ['UND_ERR_RES_EXCEEDED_MAX_SIZE', PROTOCOL],
  ['UND_ERR_INVALID_ARG', INTERNAL],
  ['UND_ERR_NOT_SUPPORTED', INTERNAL],
]);

/** Classifies an error raised while talking to an upstream. */
export function classifyUpstreamError(err: unknown): UpstreamFailure {
  const code = (err as { code?: unknown } | null)?.code;
  // llhttp's parse errors do not always carry a code, but always this name.
  if ((err as { name?: unknown } | null)?.name === 'HTTPParserError') return PROTOCOL;
  if (typeof code !== 'string') return RESET;
  const known = BY_CODE.get(code);
  if (known) return known;
  if (code.startsWith('HPE_')) return PROTOCOL;
  // TLS failures (certificate, handshake) mean the upstream cannot be reached as configured.
  if (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT')) return CONNECT;
  return RESET;
}
