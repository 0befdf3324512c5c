/**
 * Test support for upstream TLS: an HTTPS upstream on a loopback port that answers with what it
 * saw of the TLS connection (the SNI, the client certificate), counts its connections, and a
 * logger whose lines the test can read.
 */
import { createServer, type ServerOptions } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { REDACT_PATHS } from '../../observability/logger.js';

/** What `startTlsUpstream`'s default handler answers, as JSON. */
export interface TlsEcho {
  /** The SNI the client sent, or false when it sent none. */
  readonly servername: string | false;
  /** The client certificate's subject CN, or null when none was presented. */
  readonly client: string | null;
  readonly host: string | undefined;
}

export interface TlsUpstream {
  readonly port: number;
  /** TLS connections accepted (handshake done) so far. */
  readonly accepted: number;
  /** TLS connections open now. */
  readonly open: number;
  close(): Promise<void>;
}

/** Starts an HTTPS upstream on 127.0.0.1 with `options` (certificate, client certificate rules, versions). */
export async function startTlsUpstream(options: ServerOptions): Promise<TlsUpstream> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer(options, (req, res) => {
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate();
    const body: TlsEcho = { servername: socket.servername ?? false, client: peer && peer.subject ? String(peer.subject.CN) : null, host: req.headers.host };
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A refused handshake is what some tests are about.
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get accepted() {
      return accepted;
    },
    get open() {
      return sockets.size;
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A logger (level debug, the node's redaction) whose lines are kept in `lines`. */
export function capturingLogger(): { readonly logger: Logger; readonly lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { logger: pino({ level: 'debug', redact: { paths: [...REDACT_PATHS], censor: '[redacted]' } }, destination), lines };
}

/** The base64 lines of a PEM (no armour lines): none may ever appear in a response or a log. */
export function pemLines(pem: string): string[] {
  return pem.split('\n').filter((line) => line.length >= 16 && !line.startsWith('-----'));
}
