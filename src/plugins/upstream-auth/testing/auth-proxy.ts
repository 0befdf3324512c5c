/**
 * Test harness for `upstream-auth`: a real proxy (the proxy tests' harness) with one catch-all
 * route whose service carries the plugin, in front of an upstream whose answers the test decides
 * from what it received. The plugin gets a capturing logger, and, when given, the references of its
 * configuration (`secrets`, as the node's prepare step would pass them), a clock and a cooldown.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { createLogger } from '../../../observability/logger.js';
import type { PluginDefinition, PluginSecrets } from '../../plugin.js';
import { BUILTIN_PLUGINS } from '../../registry.js';
import { createEntityFactory } from '../../../proxy/testing/entities.js';
import { startProxy, startUpstream, type TestProxy } from '../../../proxy/testing/harness.js';
import type { Config } from '../../../config/schema.js';
import type { Service } from '../../../entities/services.js';
import type { PortcullisError } from '../../../errors/portcullis-error.js';
import { createUpstreamAuth, upstreamAuthPlugin, type UpstreamAuthOptions } from '../handler.js';
import type { UpstreamAuthConfig } from '../schema.js';

/** One request as the upstream received it. */
export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** The upstream's answer to one request. */
export interface Reply {
  readonly status: number;
  readonly body?: string;
  readonly headers?: Record<string, string>;
}

export interface AuthProxyOptions extends UpstreamAuthOptions {
  readonly secrets?: PluginSecrets;
  readonly proxy?: Partial<Config>;
  /** Fields of the service (its `path`, `retries` …). */
  readonly service?: Partial<Service>;
  /** More plugin configurations on the same service. */
  readonly plugins?: readonly { readonly name: string; readonly config: Record<string, unknown> }[];
}

export interface AuthProxy {
  readonly port: number;
  readonly proxy: TestProxy;
  /** Every request the upstream received, in order. */
  readonly received: Received[];
  /** Every line the plugin logged, raw JSON. */
  readonly logs: string[];
  close(): Promise<void>;
}

/** Starts an upstream answering with `reply` and a proxy whose route's service has `upstream-auth` with `config`. */
export async function startAuthProxy(
  config: Record<string, unknown>,
  reply: (received: Received) => Reply,
  options: AuthProxyOptions = {},
): Promise<AuthProxy> {
  const received: Received[] = [];
  const upstream = await startUpstream((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      received.push(r);
      const answer = reply(r);
      const body = answer.body ?? '';
      res.writeHead(answer.status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(body), ...answer.headers });
      res.end(body);
    });
  });
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(line) } });
  const plugin: PluginDefinition = {
    ...(upstreamAuthPlugin as PluginDefinition),
    create: (c, deps) => createUpstreamAuth(c as UpstreamAuthConfig, { ...deps, logger, ...(options.secrets ? { secrets: options.secrets } : {}) }, options),
  };
  const make = createEntityFactory();
  const service = make.service({ ...options.service, port: upstream.port });
  const plugins = [
    make.plugin({ name: 'upstream-auth', config, service: { id: service.id } }),
    ...(options.plugins ?? []).map((p) => make.plugin({ name: p.name, config: p.config, service: { id: service.id } })),
  ];
  const proxy = await startProxy(
    { services: [service], routes: [make.route({ name: 'all', paths: ['/'], service: { id: service.id } })], consumers: [], plugins },
    options.proxy ?? {},
    [...BUILTIN_PLUGINS.filter((p) => p.name !== 'upstream-auth'), plugin],
  );
  return {
    port: proxy.port,
    proxy,
    received,
    logs,
    async close() {
      await proxy.close();
      await upstream.close();
    },
  };
}

/** A PluginSecrets whose values the test changes; counts refetches; rejects them with `failing` while it is set. */
export function changingSecrets(references: Record<string, string>, initial: Record<string, string>) {
  const values = new Map(Object.entries(initial));
  const state = { refetches: 0, failing: null as null | PortcullisError };
  const secrets: PluginSecrets = {
    references: new Map(Object.entries(references)),
    async refetch() {
      state.refetches++;
      // A vault round trip: concurrent refusals must be able to join the one running.
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (state.failing) throw state.failing;
      return new Map(values);
    },
  };
  return {
    secrets,
    state,
    set(path: string, value: string) {
      values.set(path, value);
    },
  };
}
