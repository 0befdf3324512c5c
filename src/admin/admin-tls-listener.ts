/**
 * The Admin API over HTTPS (`admin_listen_tls`): a second listener, `node:https`, that hands its
 * requests to the same Fastify app as the plain one (`app.routing`, once the app is ready), so
 * every hook, route, error mapper and the loopback Host guard apply alike. Fastify owns exactly
 * one server (its `serverFactory` could make that one HTTPS, but not add a second beside the plain
 * listener), hence a server of our own with the same limits (header size, request timeout).
 *
 * TLS 1.2+ (`tls_min_version`), `tls_ciphers` in server order, as the HTTPS proxy listener. The
 * certificate is `admin_tls_cert`/`admin_tls_key` (PEM text or file paths, already resolved when
 * they were `{vault://…}` references) or else the node's default certificate; it can be replaced
 * while running (`setCertificate`): new connections get the new one, open ones keep theirs.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { Config } from '../config/schema.js';
import { adminTokenProblem, parseListen, type ListenAddress } from '../config/listen.js';
import type { Logger } from '../observability/logger.js';
import { readPemSetting } from '../tls/read-pem-setting.js';
import { usableKeyPair } from '../tls/usable-key-pair.js';
import { writeClientError } from './admin-errors.js';

/** A certificate (PEM, chain allowed) and its private key (PEM). */
export interface CertificatePair {
  readonly cert: string;
  readonly key: string;
}

/** The HTTPS listener of the Admin API. */
export interface AdminTlsListener {
  listen(): Promise<ListenAddress>;
  /** The bound address, once listening. */
  address(): ListenAddress | null;
  /** Serves `pair` to new connections; answers why not (the old one stays) or null when done. */
  setCertificate(pair: CertificatePair): string | null;
  /** Stops accepting and closes idle connections; resolves once every connection is gone. */
  close(): Promise<void>;
  /** Cuts the connections still open (after the app finished its in-flight requests). */
  closeAllConnections(): void;
}

/**
 * The certificate the listener starts with, or the problems that refuse the start: a
 * non-loopback address without `admin_token`, half a pair, an unreadable or mismatched pair, or
 * neither a configured pair nor the node's default certificate.
 */
export function adminTlsCertificate(config: Config, defaultCertificate: CertificatePair | undefined): { pair: CertificatePair } | { problems: string[] } {
  const token = adminTokenProblem('admin_listen_tls', config.admin_listen_tls, config.admin_token);
  if (token !== null) return { problems: [token] };
  const { admin_tls_cert: certSetting, admin_tls_key: keySetting } = config;
  if (certSetting === undefined && keySetting === undefined) {
    if (defaultCertificate !== undefined) return { pair: defaultCertificate };
    return { problems: ['admin_listen_tls: set admin_tls_cert and admin_tls_key (the node default certificate is not available here)'] };
  }
  if (certSetting === undefined || keySetting === undefined) {
    return { problems: ['admin_tls_cert, admin_tls_key: give both (PEM text or file paths) or neither (the node default certificate is used)'] };
  }
  const cert = readPemSetting(certSetting, 'admin_tls_cert');
  const key = readPemSetting(keySetting, 'admin_tls_key');
  const problems = [cert, key].flatMap((read) => ('problem' in read ? [read.problem] : []));
  if ('problem' in cert || 'problem' in key) return { problems };
  const pair = { cert: cert.pem, key: key.pem };
  const problem = pairProblem(pair);
  return problem === null ? { pair } : { problems: [`admin_tls_cert, admin_tls_key: ${problem}`] };
}

/** Why `pair` cannot be served, or null (messages never quote the PEM). */
export function pairProblem(pair: CertificatePair): string | null {
  const check = usableKeyPair(pair.cert, pair.key);
  return check.ok ? null : check.problem;
}

/** Creates the listener (not yet listening) over `handler`, serving `certificate`. */
export function createAdminTlsListener(deps: {
  readonly config: Config;
  readonly logger: Logger;
  readonly certificate: CertificatePair;
  handler(req: IncomingMessage, res: ServerResponse): void;
}): AdminTlsListener {
  const { config, logger } = deps;
  const contextOf = (pair: CertificatePair): SecureContextOptions => ({
    cert: pair.cert,
    key: pair.key,
    minVersion: config.tls_min_version,
    maxVersion: 'TLSv1.3',
    ciphers: config.tls_ciphers,
    honorCipherOrder: true,
  });
  const server: Server = createServer(
    {
      ...contextOf(deps.certificate),
      ALPNProtocols: ['http/1.1'],
      handshakeTimeout: 10_000,
      maxHeaderSize: config.max_header_size,
      requestTimeout: 30_000,
    },
    deps.handler,
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => writeClientError(err, socket));
  // A refused handshake (old TLS version, no shared cipher, a scanner) is the client's problem.
  server.on('tlsClientError', (err: NodeJS.ErrnoException) => logger.debug({ code: err.code }, 'admin TLS handshake refused'));
  let bound: ListenAddress | null = null;

  return {
    listen() {
      const { host, port } = parseListen(config.admin_listen_tls);
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const address = server.address() as AddressInfo;
          bound = { host: address.address, port: address.port };
          resolve(bound);
        });
      });
    },
    address: () => bound,
    setCertificate(pair) {
      const problem = pairProblem(pair);
      if (problem !== null) return problem;
      try {
        // Validated once more by OpenSSL itself, before it replaces anything.
        createSecureContext(contextOf(pair));
      } catch {
        return 'the certificate and key cannot be used together by TLS';
      }
      server.setSecureContext(contextOf(pair));
      return null;
    },
    close() {
      if (!server.listening) return Promise.resolve();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      return closed;
    },
    closeAllConnections: () => server.closeAllConnections(),
  };
}
