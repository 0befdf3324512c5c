/**
 * Real-HTTP test harness for the proxy: an upstream `node:http` server on a loopback port, a
 * proxy server on another, a state holder the test can swap, and a small client. Everything
 * listens on port 0 and is closed by `close()`.
 */
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { loadConfig } from '../../config/load-config.js';
import type { Config } from '../../config/schema.js';
import { createMetrics, type ProxyMetrics } from '../../observability/metrics.js';
import type { PluginDefinition } from '../../plugins/plugin.js';
import { BUILTIN_PLUGINS, createPluginRegistry } from '../../plugins/registry.js';
import { buildRuntimeState, type RuntimeSnapshot, type RuntimeState } from '../runtime-state.js';
import { createProxyServer, type ProxyServer } from '../proxy-server.js';

export interface Upstream {
  readonly server: Server;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts an upstream on 127.0.0.1 with `handler`. */
export async function startUpstream(handler: RequestListener): Promise<Upstream> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export interface TestProxy {
  readonly proxy: ProxyServer;
  readonly port: number;
  readonly metrics: ProxyMetrics;
  /** Rebuilds the state from a new snapshot (the previous one is closed), like an Admin API change. */
  apply(snapshot: RuntimeSnapshot): void;
  state(): RuntimeState;
  close(): Promise<void>;
}

/** Starts a proxy over `snapshot` with the default config plus `overrides` (silent unless given a `logger`). */
export async function startProxy(
  snapshot: RuntimeSnapshot,
  overrides: Partial<Config> = {},
  plugins: readonly PluginDefinition[] = BUILTIN_PLUGINS,
  logger: Logger = pino({ level: 'silent' }),
): Promise<TestProxy> {
  const config: Config = { ...loadConfig({ env: {} }), proxy_listen: '127.0.0.1:0', proxy_listen_tls: 'off', ...overrides };
  const registry = createPluginRegistry(plugins);
  const metrics = createMetrics({ collectProcessMetrics: false });
  let state = buildRuntimeState(snapshot, registry, { logger });
  const proxy = createProxyServer({ getState: () => state, config, logger, metrics });
  const address = await proxy.listen();
  return {
    proxy,
    port: address.http.port,
    metrics,
    apply(next) {
      const previous = state;
      state = buildRuntimeState(next, registry, { logger });
      previous.close();
    },
    state: () => state,
    async close() {
      await proxy.close();
      state.close();
    },
  };
}

export interface TestResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

export interface SendOptions {
  readonly method?: string;
  readonly headers?: Record<string, string | string[]>;
  readonly body?: string | Buffer;
}

/** Sends one request with `node:http` (no keep-alive) and reads the whole answer. */
export function send(port: number, path: string, options: SendOptions = {}): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      readAnswer(res).then(resolve, reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** An upstream handler that answers with what it received, as JSON. */
export const echoRequest: RequestListener = (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
};

/** The shape `echoRequest` answers with. */
export interface Echo {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Reads a whole response into a TestResponse. */
export function readAnswer(res: IncomingMessage): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('error', reject);
    res.on('end', () => {
      const body = Buffer.concat(chunks);
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8'), json: <T>() => JSON.parse(body.toString('utf8')) as T });
    });
  });
}
