/**
 * Why a TLS handshake on the proxy listener failed, as one of a few bounded words: the label of
 * `portcullis_tls_handshake_errors_total` and of the debug log line. The listener names its own
 * refusals (`sni_unknown`, `sni_missing`, `certificate_unusable`) and what it saw before the
 * handshake (`not_tls`, `timeout`, `reset`); the rest are read from OpenSSL's error codes.
 */

export const HANDSHAKE_FAILURE_REASONS = [
  'sni_unknown',
  'sni_missing',
  'certificate_unusable',
  'protocol_version',
  'no_shared_cipher',
  'alpn',
  'not_tls',
  'timeout',
  'reset',
  'other',
] as const;

export type HandshakeFailureReason = (typeof HANDSHAKE_FAILURE_REASONS)[number];

const BY_CODE: Readonly<Record<string, HandshakeFailureReason>> = {
  ERR_SSL_UNSUPPORTED_PROTOCOL: 'protocol_version',
  ERR_SSL_VERSION_TOO_LOW: 'protocol_version',
  ERR_SSL_NO_PROTOCOLS_AVAILABLE: 'protocol_version',
  ERR_SSL_NO_SHARED_CIPHER: 'no_shared_cipher',
  ERR_SSL_NO_SUITABLE_SIGNATURE_ALGORITHM: 'no_shared_cipher',
  ERR_SSL_NO_SHARED_SIGNATURE_ALGORITHMS: 'no_shared_cipher',
  ERR_SSL_NO_SUITABLE_KEY_SHARE: 'no_shared_cipher',
  ERR_SSL_NO_SHARED_GROUPS: 'no_shared_cipher',
  ERR_SSL_NO_APPLICATION_PROTOCOL: 'alpn',
  ERR_SSL_HTTP_REQUEST: 'not_tls',
  ERR_SSL_WRONG_VERSION_NUMBER: 'not_tls',
  ERR_SSL_UNKNOWN_PROTOCOL: 'not_tls',
  ERR_SSL_PACKET_LENGTH_TOO_LONG: 'not_tls',
  ERR_TLS_HANDSHAKE_TIMEOUT: 'timeout',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
};

/** The reason for a TLS error of a handshake in progress. */
export function handshakeFailureReason(err: Error & { code?: string }): HandshakeFailureReason {
  return BY_CODE[err.code ?? ''] ?? 'other';
}
