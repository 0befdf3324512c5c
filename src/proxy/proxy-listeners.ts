/**
 * The proxy's listening servers: a `node:http` one on `proxy_listen`; unless `proxy_listen_tls`
 * is `off`, a TLS one (`tls/tls-server.ts`) serving HTTP/2 or HTTP/1.1 by ALPN; unless
 * `proxy_listen_h2c` is `off`, a cleartext HTTP/2 one (prior knowledge). All run the same request
 * handler with the same limits and timeouts, and the same answers for what never reaches the
 * handler (`client-error.ts`); HTTP/2 requests are first read as HTTP/1.1 ones
 * (`http2/http2-request.ts`). Closing stops all from accepting, sends HTTP/2 clients GOAWAY, lets
 * in-flight requests finish up to the drain's timeout, then cuts what remains, handshakes included.
 * HTTP/1.1 `upgrade` requests go to their own handler (WebSocket: `websocket/websocket-proxy.ts`).
 */
import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createH2cServer, type Http2SecureServer, type Http2Server } from 'node:http2';
import type { AddressInfo, Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Drain } from './drain.js';
import type { ProxyServerDeps } from './proxy-server.js';
import { parseListen } from '../config/listen.js';
import { handleClientError, refuseConnect, refuseExpectation } from './client-error.js';
import { createTlsServer, type TlsServer } from './tls/tls-server.js';
import { applyHttp1Options, http2ServerOptions } from './http2/http2-options.js';
import { adaptHttp2Request, isHttp2Request } from './http2/http2-request.js';
import { trackHttp2Sessions, type Http2Sessions } from './http2/http2-sessions.js';
import { pickRequestId } from './headers.js';
import { writeJsonError } from './json-error.js';

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
  readonly tlsServer: Http2SecureServer | null;
  /** The cleartext HTTP/2 server; null when `proxy_listen_h2c` is `off`. */
  readonly h2cServer: Http2Server | null;
  /** The TLS listener's facts (its port is '' until it listens, or when it is off). */
  readonly secure: ListenerFacts;
  listen(): Promise<{ http: AddressInfo; https: AddressInfo | null; h2c: AddressInfo | null }>;
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
  const bind = (handler: ListenerHandler, listener: ListenerFacts) => (req: IncomingMessage, res: ServerResponse) => {
    if (isHttp2Request(req)) {
      const refused = adaptHttp2Request(req);
      if (refused !== null) return writeJsonError(res, { status: 400, code: 'PC_BAD_REQUEST', message: refused }, pickRequestId(req.headers['x-request-id']));
    }
    handler(req, res, listener);
  };
  const httpOptions: ServerOptions = {
    maxHeaderSize: config.max_header_size,
    insecureHTTPParser: false,
    // Checked in the handler (`ambiguous-request.ts`) so the answer is JSON with an X-Request-Id.
    requireHostHeader: false,
    headersTimeout: 60_000,
    requestTimeout: 300_000,
    keepAliveTimeout: 60_000,
  };
  const http2Options = http2ServerOptions(config);
  const resets = { burst: config.http2_stream_reset_burst, rate: config.http2_stream_reset_rate };
  const server = createServer(httpOptions, bind(handlers.request, plain));
  const tls = config.proxy_listen_tls === 'off' ? null : createTls(deps, http2Options, httpOptions, bind(handlers.request, secure));
  // h2c is plain HTTP: routes see it as `http` (and gRPC routes as `grpc`).
  const h2c = config.proxy_listen_h2c === 'off' ? null : createH2cServer(http2Options, bind(handlers.request, plain) as never);
  const servers = [server, tls?.server, h2c].filter((s) => s != null);
  const http1 = [
    [server, plain],
    [tls?.server, secure],
  ] as const;
  for (const [s, listener] of http1) {
    if (s === undefined) continue;
    s.on('clientError', handleClientError);
    s.on('checkContinue', bind(handlers.expectingContinue, listener));
    // HTTP/1.1 `Upgrade` (WebSocket); the TLS server emits it for its HTTP/1.1 connections.
    s.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => handlers.upgrade(req, socket, head, listener));
  }
  for (const s of servers) {
    s.on('connect', refuseConnect);
    s.on('checkExpectation', refuseExpectation);
  }
  if (h2c !== null) {
    applyHttp1Options(h2c, httpOptions);
    h2c.on('checkContinue', bind(handlers.expectingContinue, plain) as never);
  }
  const sessions: Http2Sessions[] = [tls?.server, h2c].filter((s) => s != null).map((s) => trackHttp2Sessions(s, resets, logger));

  return {
    server,
    tlsServer: tls?.server ?? null,
    h2cServer: h2c,
    secure,
    async listen() {
      const listening: NetServer[] = [];
      try {
        const http = await listenOn(server, config.proxy_listen);
        listening.push(server);
        plain.port = String(http.port);
        let https: AddressInfo | null = null;
        if (tls !== null) {
          https = await listenOn(tls.server, config.proxy_listen_tls);
          listening.push(tls.server);
          secure.port = String(https.port);
        }
        const h2cAddress = h2c === null ? null : await listenOn(h2c, config.proxy_listen_h2c);
        if (h2cAddress !== null) logger.info({ h2c: `${h2cAddress.address}:${h2cAddress.port}` }, 'h2c proxy listener started');
        return { http, https, h2c: h2cAddress };
      } catch (err) {
        await Promise.all(listening.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
        throw err;
      }
    },
    async close(drain, beforeCut) {
      const closed = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      const closeIdle = () => {
        server.closeIdleConnections();
        // Node has it for the HTTP/1.1 connections of an `allowHTTP1` server; its types do not say so.
        (tls?.server as { closeIdleConnections?(): void } | undefined)?.closeIdleConnections?.();
      };
      closeIdle();
      sessions.forEach((s) => s.closeGracefully());
      const drained = await drain.wait(config.shutdown_timeout, closeIdle);
      if (!drained) logger.warn({ timeoutMs: config.shutdown_timeout }, 'shutdown timeout reached: cutting in-flight requests');
      await beforeCut?.();
      // What is left is idle, half-received, over time, or (TLS) still in its handshake.
      server.closeAllConnections();
      sessions.forEach((s) => s.destroyAll());
      tls?.destroyRemaining();
      await closed;
    },
  };
}

/** The HTTPS server; it cannot run without the default certificate (fail at start, not at the first handshake). */
function createTls(
  deps: ProxyListenersDeps,
  http2Options: ReturnType<typeof http2ServerOptions>,
  httpOptions: ServerOptions,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): TlsServer {
  if (deps.defaultCertificate === undefined) throw new Error('proxy_listen_tls is on but no default TLS certificate was given to the proxy');
  return createTlsServer(
    {
      config: deps.config,
      defaultCertificate: deps.defaultCertificate,
      certificates: () => deps.getState().certificates,
      logger: deps.logger,
      handshakeErrors: deps.metrics.tlsHandshakeErrors,
    },
    http2Options,
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
