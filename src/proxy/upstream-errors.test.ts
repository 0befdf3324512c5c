import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyUpstreamError } from './upstream-errors.js';

/** An error as Node or undici raises it: a message and a code. */
const error = (code: string | undefined, message = 'failed') => Object.assign(new Error(message), code === undefined ? {} : { code });

describe('classifyUpstreamError: TLS failures are 502 with their class, kind "tls"', () => {
  const cases: [string, Error, string][] = [
    ['a leaf whose issuer is unknown', error('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'PC_PROXY_UPSTREAM_TLS_UNTRUSTED'],
    ['a self-signed root in the chain', error('SELF_SIGNED_CERT_IN_CHAIN'), 'PC_PROXY_UPSTREAM_TLS_UNTRUSTED'],
    ['a self-signed leaf', error('DEPTH_ZERO_SELF_SIGNED_CERT'), 'PC_PROXY_UPSTREAM_TLS_UNTRUSTED'],
    ['an issuer not found', error('UNABLE_TO_GET_ISSUER_CERT'), 'PC_PROXY_UPSTREAM_TLS_UNTRUSTED'],
    ['an issuer not found locally', error('UNABLE_TO_GET_ISSUER_CERT_LOCALLY'), 'PC_PROXY_UPSTREAM_TLS_UNTRUSTED'],
    ['an untrusted root', error('CERT_UNTRUSTED'), 'PC_PROXY_UPSTREAM_TLS_UNTRUSTED'],
    ['a chain over tls_verify_depth', error('CERT_CHAIN_TOO_LONG'), 'PC_PROXY_UPSTREAM_TLS_UNTRUSTED'],
    ['a bad signature', error('CERT_SIGNATURE_FAILURE'), 'PC_PROXY_UPSTREAM_TLS_UNTRUSTED'],
    ['another X509 verification code', error('CERT_UNABLE_TO_GET_CRL'), 'PC_PROXY_UPSTREAM_TLS_UNTRUSTED'],
    ['a name mismatch (Node)', error('ERR_TLS_CERT_ALTNAME_INVALID'), 'PC_PROXY_UPSTREAM_TLS_HOSTNAME'],
    ['a name mismatch (OpenSSL)', error('HOSTNAME_MISMATCH'), 'PC_PROXY_UPSTREAM_TLS_HOSTNAME'],
    ['an IP mismatch (OpenSSL)', error('IP_ADDRESS_MISMATCH'), 'PC_PROXY_UPSTREAM_TLS_HOSTNAME'],
    ['an expired certificate', error('CERT_HAS_EXPIRED'), 'PC_PROXY_UPSTREAM_TLS_EXPIRED'],
    ['a certificate not valid yet', error('CERT_NOT_YET_VALID'), 'PC_PROXY_UPSTREAM_TLS_EXPIRED'],
    ['a broken notAfter field', error('ERROR_IN_CERT_NOT_AFTER_FIELD'), 'PC_PROXY_UPSTREAM_TLS_EXPIRED'],
    ['the upstream requiring a client certificate (TLS 1.3 alert)', error('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), 'PC_PROXY_UPSTREAM_TLS_HANDSHAKE'],
    ['the upstream refusing the handshake (TLS 1.2 alert)', error('ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE'), 'PC_PROXY_UPSTREAM_TLS_HANDSHAKE'],
    ['the upstream not trusting our client certificate', error('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), 'PC_PROXY_UPSTREAM_TLS_HANDSHAKE'],
    ['no shared protocol version', error('ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION'), 'PC_PROXY_UPSTREAM_TLS_HANDSHAKE'],
    ['plain HTTP on the port', error('ERR_SSL_WRONG_VERSION_NUMBER'), 'PC_PROXY_UPSTREAM_TLS_HANDSHAKE'],
    ['another Node TLS error', error('ERR_TLS_INVALID_STATE'), 'PC_PROXY_UPSTREAM_TLS_HANDSHAKE'],
    [
      'EPROTO with an OpenSSL alert (older Node)',
      error('EPROTO', 'write EPROTO 140:error:14094410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure'),
      'PC_PROXY_UPSTREAM_TLS_HANDSHAKE',
    ],
  ];
  for (const [name, err, code] of cases) {
    it(`${name} (${(err as { code?: string }).code}) → ${code}`, () => {
      assert.deepEqual({ ...classifyUpstreamError(err) }, { status: 502, code, kind: 'tls' });
    });
  }
});

describe('classifyUpstreamError: other failures keep their class', () => {
  const cases: [string, unknown, { status: number; code: string; kind: string }][] = [
    ['a refused connection', error('ECONNREFUSED'), { status: 502, code: 'PC_PROXY_UPSTREAM_UNAVAILABLE', kind: 'connect' }],
    ['a connect timeout', error('UND_ERR_CONNECT_TIMEOUT'), { status: 504, code: 'PC_PROXY_UPSTREAM_TIMEOUT', kind: 'timeout' }],
    ['a socket closed by the upstream', error('UND_ERR_SOCKET', 'other side closed'), { status: 502, code: 'PC_PROXY_UPSTREAM_UNAVAILABLE', kind: 'reset' }],
    ['EPROTO without TLS in its message', error('EPROTO', 'protocol error'), { status: 502, code: 'PC_PROXY_UPSTREAM_UNAVAILABLE', kind: 'reset' }],
    ['an HTTP parse error', error('HPE_INVALID_STATUS'), { status: 502, code: 'PC_PROXY_UPSTREAM_ERROR', kind: 'protocol' }],
    ['an error without a code', error(undefined), { status: 502, code: 'PC_PROXY_UPSTREAM_UNAVAILABLE', kind: 'reset' }],
    ['not an error', null, { status: 502, code: 'PC_PROXY_UPSTREAM_UNAVAILABLE', kind: 'reset' }],
  ];
  for (const [name, err, expected] of cases) {
    it(`${name} → ${expected.code} (${expected.kind})`, () => assert.deepEqual({ ...classifyUpstreamError(err) }, expected));
  }
});
