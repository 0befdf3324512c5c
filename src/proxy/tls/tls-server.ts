/**
 * The HTTPS side of the proxy listener: a `node:http2` secure server that also serves HTTP/1.1
 * (`allowHTTP1`), with the same request handler and HTTP/1.1 parser settings as the plain one,
 * whose TLS is done by lanes (`tls-lane.ts`): TLS 1.2 (or 1.3, `tls_min_version`) to 1.3 only,
 * the `tls_ciphers` list in the server's order, ALPN `h2` then `http/1.1` (a client that offers
 * no ALPN gets HTTP/1.1), a 10 s limit to send the ClientHello and another to finish the handshake.
 * HTTP/2 requests reach the handler through Node's compat API (`http2/http2-request.ts`).
 *
 * Each connection's ClientHello is read first (`client-hello.ts`) and its server name looked up in
 * the current runtime state's certificates, `certificates()`, once per connection: a new state
 * applies to new connections while open ones keep the certificate they were made with. The
 * connection is then handed to that certificate's lane; with no match, to the default
 * certificate's lane, or it is refused with `tls_require_sni` (also when no SNI is sent). A
 * certificate that cannot be used: always refused, never the default. A refusal closes the
 * connection before any byte is sent, so no certificate leaves the node. Refused and failed
 * handshakes are counted by reason and logged at debug; they never reach the process's error handling.
 */
import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse, type SecureServerOptions } from 'node:http2';
import type { Server as TlsLane, TLSSocket } from 'node:tls';
import type { IncomingMessage, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { Config } from '../../config/schema.js';
import type { CertificateIndex } from './certificate-index.js';
import { HANDSHAKE_FAILURE_REASONS, handshakeFailureReason, type HandshakeFailureReason } from './handshake-failure.js';
import { createTlsLane, HANDSHAKE_TIMEOUT_MS } from './tls-lane.js';
import { readClientHello } from './client-hello.js';
import { applyHttp1Options } from '../http2/http2-options.js';

export interface TlsServerDeps {
  readonly config: Pick<Config, 'tls_min_version' | 'tls_ciphers' | 'tls_require_sni'>;
  /** Served when no SNI binding matches (unless `tls_require_sni`). */
  readonly defaultCertificate: { readonly cert: string; readonly key: string };
  /** The current state's certificates; called once per connection. */
  certificates(): CertificateIndex;
  readonly logger: Logger;
  readonly handshakeErrors: Counter<'reason'>;
}

/** The HTTPS (h2 and HTTP/1.1) server, and a way to cut what `closeAllConnections` leaves: connections before or in their handshake. */
export interface TlsServer {
  readonly server: Http2SecureServer;
  destroyRemaining(): void;
}

/**
 * Creates the HTTPS server (not yet listening) with `http2Options` (HTTP/2 settings),
 * `httpOptions` (HTTP/1.1 parser limits, timeouts) and `handler`, which gets both versions' requests.
 */
export function createTlsServer(
  deps: TlsServerDeps,
  http2Options: SecureServerOptions,
  httpOptions: ServerOptions,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): TlsServer {
  const { config, logger } = deps;
  const protocol = { minVersion: config.tls_min_version, ciphers: config.tls_ciphers };
  // Made even with tls_require_sni, where it serves nothing: a certificate or cipher list OpenSSL refuses fails the start.
  const fallback = createTlsLane(deps.defaultCertificate, protocol);
  // Without tls_require_sni, connections whose name matches nothing (or that send none) get the default certificate.
  const defaultLane = config.tls_require_sni ? null : fallback;
  const server = createSecureServer({ ...http2Options, allowHTTP1: true });
  applyHttp1Options(server, httpOptions);
  // Compat requests are duck-typed IncomingMessage/ServerResponse: one handler for both versions.
  server.on('request', handler as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void);
  // The server does HTTP only: the listener picks the TLS lane of each connection itself.
  server.removeAllListeners('connection');

  for (const reason of HANDSHAKE_FAILURE_REASONS) deps.handshakeErrors.inc({ reason }, 0);
  const failed = (
    reason: HandshakeFailureReason,
    details: { code?: string | undefined; servername?: string | null | undefined; peer?: string | undefined },
  ) => {
    deps.handshakeErrors.inc({ reason });
    // The server name is what the client asked for (at most 255 bytes); no error here names a secret.
    logger.debug({ reason, ...details }, 'TLS handshake failed');
  };

  /** Lanes come and go with runtime states; each is wired to this server on first use. */
  const wired = new WeakSet<TlsLane>();
  const wire = (lane: TlsLane): TlsLane => {
    if (wired.has(lane)) return lane;
    wired.add(lane);
    lane.on('secureConnection', (socket: TLSSocket) => {
      // The socket now belongs to this server, as one it had accepted itself: Node's HTTP/1.1
      // fallback sets up its request and response classes on `socket.server`.
      (socket as TLSSocket & { server: unknown }).server = server;
      server.emit('secureConnection', socket);
    });
    lane.on('tlsClientError', (err: Error & { code?: string }, socket: TLSSocket) => {
      failed(handshakeFailureReason(err), { code: err.code, servername: socket.servername || null, peer: socket.remoteAddress });
    });
    return lane;
  };

  /** The lane for a server name, or why the handshake is refused. */
  const laneFor = (servername: string | null): TlsLane | HandshakeFailureReason => {
    if (servername === null) return defaultLane ?? 'sni_missing';
    const found = deps.certificates().contextFor(servername);
    if (found === 'unusable') return 'certificate_unusable';
    if (found === 'none') return defaultLane ?? 'sni_unknown';
    return found.lane;
  };

  // Every raw connection until it closes: HTTP's closeAllConnections() knows only those past their handshake.
  const open = new Set<Socket>();
  server.on('connection', (raw: Socket) => {
    open.add(raw);
    raw.once('close', () => open.delete(raw));
    awaitClientHello(raw, (outcome, buffered) => {
      const peer = raw.remoteAddress;
      if (outcome.kind !== 'hello') return failed(outcome.kind, { peer });
      const lane = laneFor(outcome.servername);
      if (typeof lane === 'string') {
        raw.destroy();
        return failed(lane, { servername: outcome.servername, peer });
      }
      // The lane's TLS socket reads what was buffered here first, then the connection itself.
      raw.pause();
      raw.unshift(buffered);
      wire(lane).emit('connection', raw);
    });
  });

  return {
    server,
    destroyRemaining() {
      for (const socket of open) socket.destroy();
    },
  };
}

type HelloOutcome = { kind: 'hello'; servername: string | null } | { kind: 'not_tls' | 'timeout' | 'reset' };

/** Buffers the connection's first bytes until its ClientHello is whole (or it is not TLS, is too slow, or closes). */
function awaitClientHello(raw: Socket, done: (outcome: HelloOutcome, buffered: Buffer) => void): void {
  let buffered: Buffer = Buffer.alloc(0);
  const finish = (outcome: HelloOutcome) => {
    clearTimeout(timer);
    raw.off('data', onData);
    raw.off('close', onClose);
    raw.off('error', onError);
    if (outcome.kind !== 'hello') raw.destroy();
    done(outcome, buffered);
  };
  const onData = (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    const read = readClientHello(buffered);
    if (read.kind !== 'incomplete') finish(read);
  };
  const onClose = () => finish({ kind: 'reset' });
  // A reset before the ClientHello: the close that follows reports it.
  const onError = () => undefined;
  const timer = setTimeout(() => finish({ kind: 'timeout' }), HANDSHAKE_TIMEOUT_MS);
  raw.on('data', onData);
  raw.once('close', onClose);
  raw.on('error', onError);
}
