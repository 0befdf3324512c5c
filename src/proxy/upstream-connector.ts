/**
 * The undici connector of one https pool: TLS 1.2+ with the service's trust (the system store,
 * plus its `ca_certificates`), its client certificate, verification of the chain, the host name
 * and `tls_verify_depth`, and an SNI that is always the service host.
 *
 * - One secure context per pool, built once: Node's `ca` option REPLACES the default store, so
 *   with extra CAs the context holds Node's default roots plus them. On Node 22+
 *   `tls.getCACertificates('default')` also includes NODE_EXTRA_CA_CERTS; Node 20 has only
 *   `tls.rootCertificates` (the bundled Mozilla store), so there a service with `ca_certificates`
 *   does not trust NODE_EXTRA_CA_CERTS (one without keeps Node's default store, which does).
 * - The SNI and the name verified are the pool's, never the request's: undici would otherwise
 *   derive them from the Host header, which `preserve_host` lets the client choose.
 * - TLS 1.3 servers refuse a client certificate after the handshake, with an alert; undici then
 *   reports the socket's end ("other side closed") instead of the alert. Destroying the socket
 *   with the alert makes it the error the request fails with, so it can be classified.
 */
import * as tls from 'node:tls';
import { buildConnector } from '../util/undici.js';
import type { UpstreamTls } from './upstream-tls.js';

/** Node's default trust store: with NODE_EXTRA_CA_CERTS on Node 22+, the bundled roots on Node 20. */
export function defaultRootCertificates(): readonly string[] {
  const get = (tls as { getCACertificates?: (type: 'default') => string[] }).getCACertificates;
  return typeof get === 'function' ? get('default') : tls.rootCertificates;
}

/** Connects to the upstream of `settings`; `timeout` is the connect timeout (ms); `allowH2` offers h2 by ALPN (gRPC). */
export function createUpstreamConnector(settings: UpstreamTls, timeout: number, allowH2 = false): buildConnector.connector {
  const secureContext = tls.createSecureContext({
    minVersion: 'TLSv1.2',
    ...(settings.ca ? { ca: [...defaultRootCertificates(), ...settings.ca] } : {}),
    ...(settings.cert !== null && settings.key !== null ? { cert: settings.cert, key: settings.key } : {}),
  });
  const connect = buildConnector({
    timeout,
    allowH2,
    secureContext,
    rejectUnauthorized: settings.verify,
    checkServerIdentity: identityCheck(settings.depth),
  } as buildConnector.BuildOptions);
  const servername = settings.servername ?? undefined;
  return (options, callback) => {
    // Undefined lets undici fall back to the origin's host, which for an IP literal means no SNI.
    const socket = connect({ ...options, servername }, callback) as unknown as tls.TLSSocket;
    socket.on('error', destroyOnTlsAlert);
  };
}

/** Node's host name check, then the chain length `tls_verify_depth` allows. */
export function identityCheck(depth: number | null): (hostname: string, cert: tls.PeerCertificate) => Error | undefined {
  return (hostname, cert) => {
    const mismatch = tls.checkServerIdentity(hostname, cert);
    if (mismatch !== undefined || depth === null) return mismatch;
    const intermediates = chainLength(cert as tls.DetailedPeerCertificate) - 2;
    if (intermediates <= depth) return undefined;
    // OpenSSL's name for the same refusal, so it is classified with the other trust failures.
    return Object.assign(new Error(`certificate chain too long: ${intermediates} intermediate CA certificates, tls_verify_depth allows ${depth}`), {
      code: 'CERT_CHAIN_TOO_LONG',
    });
  };
}

/**
 * Certificates from the leaf to the trust anchor, as Node completes the peer's chain from the
 * trust store (the anchor is its own issuer). Depth follows OpenSSL's (and nginx's
 * `proxy_ssl_verify_depth`): depth N allows N intermediates; a leaf the anchor signed is depth 0.
 */
function chainLength(leaf: tls.DetailedPeerCertificate): number {
  let length = 1;
  let cert = leaf;
  // Bounded: a peer cannot make this loop long (its chain is bounded by the TLS record limits anyway).
  while (
    length < 100 &&
    cert.issuerCertificate !== undefined &&
    cert.issuerCertificate !== cert &&
    cert.issuerCertificate.fingerprint256 !== cert.fingerprint256
  ) {
    cert = cert.issuerCertificate;
    length++;
  }
  return length;
}

/** After the handshake Node emits a TLS alert as an error but leaves the socket open; close it with that error. */
function destroyOnTlsAlert(this: tls.TLSSocket, err: NodeJS.ErrnoException): void {
  if (!this.destroyed && typeof err.code === 'string' && err.code.startsWith('ERR_SSL_')) this.destroy(err);
}
