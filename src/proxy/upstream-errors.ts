/**
 * What an upstream failure means to the client: one table from undici's error codes (and the
 * socket errors under them) to a status, a catalogue code, and the `kind` label of the
 * `portcullis_upstream_errors_total` metric. Timeouts are 504; everything else the upstream did
 * wrong is 502.
 *
 * TLS failures (kind `tls`) are named by class: the certificate is not trusted, does not match
 * the host, is expired (or not yet valid), or the handshake failed (no common version or cipher,
 * a TLS alert such as the upstream refusing our client certificate). Undici hands over the
 * socket's own error: Node's certificate codes (OpenSSL's `X509_V_ERR_*` names), `ERR_TLS_*` and
 * `ERR_SSL_*` (older Node: `EPROTO` with the OpenSSL text). A TLS failure is never retried.
 */
import type { ErrorCode } from '../errors/catalogue.js';

/** The `kind` label of `portcullis_upstream_errors_total`. */
export type UpstreamErrorKind = 'connect' | 'timeout' | 'reset' | 'protocol' | 'tls' | 'internal';

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
const tls = (code: ErrorCode): UpstreamFailure => Object.freeze({ status: 502, code, kind: 'tls' });
const UNTRUSTED = tls('PC_PROXY_UPSTREAM_TLS_UNTRUSTED');
const HOSTNAME = tls('PC_PROXY_UPSTREAM_TLS_HOSTNAME');
const EXPIRED = tls('PC_PROXY_UPSTREAM_TLS_EXPIRED');
const HANDSHAKE = tls('PC_PROXY_UPSTREAM_TLS_HANDSHAKE');
/** For the proxy: a service whose CA or client certificate could not be loaded (nothing was sent). */
export const TLS_CONFIG_FAILURE: UpstreamFailure = tls('PC_PROXY_UPSTREAM_TLS_CONFIG');

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
  // The chain does not lead to a trusted CA, or is not acceptable as a chain.
  ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', UNTRUSTED],
  ['SELF_SIGNED_CERT_IN_CHAIN', UNTRUSTED],
  ['DEPTH_ZERO_SELF_SIGNED_CERT', UNTRUSTED],
  ['UNABLE_TO_GET_ISSUER_CERT', UNTRUSTED],
  ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', UNTRUSTED],
  ['UNABLE_TO_DECRYPT_CERT_SIGNATURE', UNTRUSTED],
  ['UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY', UNTRUSTED],
  ['CERT_SIGNATURE_FAILURE', UNTRUSTED],
  ['CERT_UNTRUSTED', UNTRUSTED],
  ['CERT_REJECTED', UNTRUSTED],
  ['CERT_REVOKED', UNTRUSTED],
  ['INVALID_CA', UNTRUSTED],
  ['INVALID_PURPOSE', UNTRUSTED],
  ['PATH_LENGTH_EXCEEDED', UNTRUSTED],
  ['CERT_CHAIN_TOO_LONG', UNTRUSTED],
  // The certificate is not for this host.
  ['ERR_TLS_CERT_ALTNAME_INVALID', HOSTNAME],
  ['HOSTNAME_MISMATCH', HOSTNAME],
  ['IP_ADDRESS_MISMATCH', HOSTNAME],
  // Outside its validity period.
  ['CERT_HAS_EXPIRED', EXPIRED],
  ['CERT_NOT_YET_VALID', EXPIRED],
  ['ERROR_IN_CERT_NOT_BEFORE_FIELD', EXPIRED],
  ['ERROR_IN_CERT_NOT_AFTER_FIELD', EXPIRED],
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
  // Alerts (ours or the upstream's), no shared version or cipher, not TLS at all on that port.
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) return HANDSHAKE;
  if (code === 'EPROTO' && /\b(SSL|TLS|alert)\b/i.test((err as Error).message ?? '')) return HANDSHAKE;
  // Any other certificate verification failure OpenSSL may report (X509_V_ERR_* names).
  if (code.includes('CERT')) return UNTRUSTED;
  return RESET;
}
