/**
 * A TLS lane: a `node:tls` server that never listens, made for one certificate (one or two key
 * pairs), to which the HTTPS listener hands the connections whose ClientHello names that
 * certificate (`tls-server.ts`). Each connection's TLS session is created from the lane's own
 * secure context, so it holds that certificate's pairs and no other.
 *
 * Why not Node's `SNICallback`: it copies only one certificate of the selected context onto a
 * connection that already holds the listener's default certificate, so a name whose certificate
 * has another key type than the default (RSA beside an ECDSA default) is answered with the default
 * certificate (nodejs/node#54235), and a second pair (`cert_alt`) is never served.
 */
import { createServer, type Server } from 'node:tls';

/** The listener's protocol settings (`tls_min_version`, `tls_ciphers`). */
export interface TlsProtocolOptions {
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  readonly ciphers: string;
}

/** One certificate's pairs as PEM: a chain and its key, or one of each per key type. */
export interface TlsPairs {
  readonly cert: string | readonly string[];
  readonly key: string | readonly string[];
}

/** HTTP/2 first, HTTP/1.1 as fallback (the server's order decides); a client offering neither is refused. */
export const ALPN_PROTOCOLS: readonly string[] = ['h2', 'http/1.1'];
/** A TLS handshake that does not complete within this is cut (a slow client holds no socket for long). */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

/** Creates the lane; throws (OpenSSL's error) when the pairs cannot be used: bad PEM, key that does not match. */
export function createTlsLane(pairs: TlsPairs, protocol: TlsProtocolOptions): Server {
  return createServer({
    cert: pairs.cert as string | string[],
    key: pairs.key as string | string[],
    minVersion: protocol.minVersion,
    maxVersion: 'TLSv1.3',
    ciphers: protocol.ciphers,
    // The order of `tls_ciphers` decides, not the client's.
    honorCipherOrder: true,
    ALPNProtocols: [...ALPN_PROTOCOLS],
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
  });
}
