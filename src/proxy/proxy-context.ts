/**
 * The per-request context of the proxy: the `RequestContext` plugins see, plus what the pipeline
 * itself tracks (the match and the current plugin chain, swapped once a consumer is known).
 */
import type { IncomingMessage } from 'node:http';
import type { AuthenticatedConsumer, RequestContext } from '../plugins/plugin.js';
import type { RouteMatch } from './router.js';
import type { PluginChain } from './plugin-chain.js';

export interface ProxyContext extends RequestContext {
  readonly match: RouteMatch;
  /** The chain in force: the route's, or the consumer's after authentication. */
  plugins: PluginChain;
}

/** Everything a context is made of that the proxy server computed before plugins run. */
export interface ProxyContextInit {
  readonly req: IncomingMessage;
  readonly path: string;
  readonly query: string;
  readonly requestId: string;
  readonly clientIp: string;
  readonly match: RouteMatch;
  readonly plugins: PluginChain;
  readonly upstreamHeaders: Record<string, string | string[] | undefined>;
}

/** Creates the context of one request (one object; `shared` is a fresh map). */
export function createProxyContext(init: ProxyContextInit): ProxyContext {
  return {
    req: init.req,
    method: init.req.method ?? 'GET',
    path: init.path,
    query: init.query,
    requestId: init.requestId,
    clientIp: init.clientIp,
    route: init.match.route,
    service: init.match.service,
    upstreamHeaders: init.upstreamHeaders,
    responseHeaders: {},
    authenticated: null as AuthenticatedConsumer | null,
    shared: new Map<string, unknown>(),
    match: init.match,
    plugins: init.plugins,
  };
}
