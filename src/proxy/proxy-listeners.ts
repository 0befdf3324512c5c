/**
 * The proxy's listening servers: a `node:http` one on `proxy_listen` and, unless
 * `proxy_listen_tls` is `off`, a `node:https` one (`tls/tls-server.ts`) running the same request
 * handler with the same parser limits and timeouts, and the same answers for what never reaches
 * the handler (`client-error.ts`). Closing stops both from accepting, lets in-flight requests
 * finish up to the drain's timeout, then cuts what remains, handshakes included. `upgrade`
 * requests go to their own handler (WebSocket: `websocket/websocket-proxy.ts`).
 */
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Drain } from './drain.js';
import type { ProxyServerDeps } from './proxy-server.js';
import { parseListen } from '../config/listen.js';
import { handleClientError, refuseConnect, refuseExpectation } from './client-error.js';
import { createTlsServer, type TlsServer } from './tls/tls-server.js';

/** What the handler knows of the listener a request came in on; the port is known once listening. */
export interface ListenerFacts {
  readonly secure: boolean;
  port: string;
}

export type ProxyListenersDeps = ProxyServerDeps;

/** A handler that also gets the listener's facts (`request` and `checkContinue` alike). */
export type ListenerHandler = (req: IncomingMessage, res: ServerResponse, listener: ListenerFacts) => void;

/** The `upgrade` handler, with the listener's facts. */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer, listener: ListenerFacts) => void;

export interface ProxyListeners {
  readonly server: Server;
  readonly tlsServer: HttpsServer | null;
  /** The TLS listener's facts (its port is '' until it listens, or when it is off). */
  readonly secure: ListenerFacts;
  listen(): Promise<{ http: AddressInfo; https: AddressInfo | null }>;
  /** Stops accepting, waits for `drain` up to `shutdown_timeout`, runs `beforeCut`, then destroys every connection left. */
  close(drain: Drain, beforeCut?: () => Promise<void>): Promise<void>;
}

/** Creates the servers (not yet listening); throws when TLS is on without a default certificate. */
export function createProxyListeners(
  deps: ProxyListenersDeps,
  handlers: { request: ListenerHandler; expectingContinue: ListenerHandler; upgrade: UpgradeHandler },
): ProxyListeners {
  const { config, logger } = deps;
  const plain: ListenerFacts = { secure: false, port: '' };
  const secure: ListenerFacts = { secure: true, port: '' };
  const bind = (handler: ListenerHandler, listener: ListenerFacts) => (req: IncomingMessage, res: ServerResponse) => handler(req, res, listener);
  const httpOptions: ServerOptions = {
    maxHeaderSize: config.max_header_size,
    insecureHTTPParser: false,
    // Checked in the handler (`ambiguous-request.ts`) so the answer is JSON with an X-Request-Id.
    requireHostHeader: false,
    headersTimeout: 60_000,
    requestTimeout: 300_000,
    keepAliveTimeout: 60_000,
  };
  const server = createServer(httpOptions, bind(handlers.request, plain));
  const tls = config.proxy_listen_tls === 'off' ? null : createTls(deps, httpOptions, bind(handlers.request, secure));
  const servers: (Server | HttpsServer)[] = tls === null ? [server] : [server, tls.server];
  for (const [s, listener] of [
    [server, plain],
    [tls?.server, secure],
  ] as const) {
    if (s === undefined) continue;
    s.on('clientError', handleClientError);
    s.on('connect', refuseConnect);
    s.on('checkContinue', bind(handlers.expectingContinue, listener));
    s.on('checkExpectation', refuseExpectation);
    s.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => handlers.upgrade(req, socket, head, listener));
  }

  return {
    server,
    tlsServer: tls?.server ?? null,
    secure,
    async listen() {
      const http = await listenOn(server, config.proxy_listen);
      plain.port = String(http.port);
      if (tls === null) return { http, https: null };
      try {
        const https = await listenOn(tls.server, config.proxy_listen_tls);
        secure.port = String(https.port);
        return { http, https };
      } catch (err) {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        throw err;
      }
    },
    async close(drain, beforeCut) {
      const closed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      const closeIdle = () => servers.forEach((s) => s.closeIdleConnections());
      closeIdle();
      const drained = await drain.wait(config.shutdown_timeout, closeIdle);
      if (!drained) logger.warn({ timeoutMs: config.shutdown_timeout }, 'shutdown timeout reached: cutting in-flight requests');
      await beforeCut?.();
      // What is left is idle, half-received, over time, or (TLS) still in its handshake.
      servers.forEach((s) => s.closeAllConnections());
      tls?.destroyRemaining();
      await closed;
    },
  };
}

/** The HTTPS server; it cannot run without the default certificate (fail at start, not at the first handshake). */
function createTls(deps: ProxyListenersDeps, httpOptions: ServerOptions, handler: (req: IncomingMessage, res: ServerResponse) => void): TlsServer {
  if (deps.defaultCertificate === undefined) throw new Error('proxy_listen_tls is on but no default TLS certificate was given to the proxy');
  return createTlsServer(
    {
      config: deps.config,
      defaultCertificate: deps.defaultCertificate,
      certificates: () => deps.getState().certificates,
      logger: deps.logger,
      handshakeErrors: deps.metrics.tlsHandshakeErrors,
    },
    httpOptions,
    handler,
  );
}

/** Listens on a `host:port` address; resolves with the bound address. */
function listenOn(server: NetServer, listen: string): Promise<AddressInfo> {
  const { host, port } = parseListen(listen);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
