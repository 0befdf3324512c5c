/**
 * The per-request context of the proxy: the `RequestContext` plugins see, plus what the pipeline
 * itself tracks (the match and the current plugin chain, swapped once a consumer is known). One
 * object per routed request; the plugins' `shared` map is only created if a plugin asks for it.
 */
import type { IncomingMessage } from 'node:http';
import type { Route } from '../entities/routes.js';
import type { Service } from '../entities/services.js';
import type { AuthenticatedConsumer, RequestBodyFields, RequestContext } from '../plugins/plugin.js';
import type { RouteMatch } from './router.js';
import type { PluginChain } from './plugin-chain.js';

/** What the proxy knows about one routed request; plugins see it as their `RequestContext`. */
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

class RequestState implements ProxyContext {
  readonly req: IncomingMessage;
  readonly method: string;
  readonly path: string;
  query: string;
  readonly requestId: string;
  readonly clientIp: string;
  readonly route: Route;
  readonly service: Service | null;
  readonly upstreamHeaders: Record<string, string | string[] | undefined>;
  readonly responseHeaders: Record<string, string | string[]> = {};
  authenticated: AuthenticatedConsumer | null = null;
  body: RequestBodyFields | null = null;
  readonly match: RouteMatch;
  plugins: PluginChain;
  #shared: Map<string, unknown> | null = null;

  constructor(init: ProxyContextInit) {
    this.req = init.req;
    this.method = init.req.method ?? 'GET';
    this.path = init.path;
    this.query = init.query;
    this.requestId = init.requestId;
    this.clientIp = init.clientIp;
    this.route = init.match.route;
    this.service = init.match.service;
    this.upstreamHeaders = init.upstreamHeaders;
    this.match = init.match;
    this.plugins = init.plugins;
  }

  get shared(): Map<string, unknown> {
    return (this.#shared ??= new Map());
  }
}

/** Creates the context of one request. */
export function createProxyContext(init: ProxyContextInit): ProxyContext {
  return new RequestState(init);
}
