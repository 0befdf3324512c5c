/**
 * The parts of undici Portcullis uses: its HTTP client (`Pool`, `Agent`, the socket connector) and
 * `request`, required from their own files. undici's index evaluates everything the package has
 * when it is loaded (fetch with its WHATWG classes, WebSocket, EventSource, the cache storage, the
 * mock agents, the interceptors): ~0.7 MB of source in the bundle's start-up chunk, and the objects
 * it builds, in every process, for a client that needs a third of it.
 *
 * These paths are undici's internal layout: src/util/undici.test.ts checks that each part is the
 * very object the index exports, so an undici update that moves a file fails the tests, not a node.
 * Types still come from `undici` (type-only imports cost nothing at run time).
 */
import type { Dispatcher } from 'undici';
import PoolClass from 'undici/lib/dispatcher/pool.js';
import AgentClass from 'undici/lib/dispatcher/agent.js';
import connector from 'undici/lib/core/connect.js';
import DispatcherClass from 'undici/lib/dispatcher/dispatcher.js';
import api from 'undici/lib/api/index.js';
import global from 'undici/lib/global.js';
import util from 'undici/lib/core/util.js';
import errors from 'undici/lib/core/errors.js';
import symbols from 'undici/lib/core/symbols.js';
import type { ClientHttp2Session } from 'node:http2';

// As undici's index does: every dispatcher gets `request`, `stream`, `pipeline`, `upgrade` and
// `connect` (its type says so; without this a caller of `pool.request()` compiles and then fails).
Object.assign(DispatcherClass.prototype, api);

export const Pool = PoolClass;
export type Pool = InstanceType<typeof PoolClass>;
export const Agent = AgentClass;
export type Agent = InstanceType<typeof AgentClass>;
export const buildConnector = connector;
// `buildConnector.BuildOptions` and `buildConnector.connector`, as on undici's own export.
export declare namespace buildConnector {
  export type BuildOptions = import('undici').buildConnector.BuildOptions;
  export type connector = import('undici').buildConnector.connector;
}

/** What undici's `request(url, options)` takes: the request's options, and the dispatcher to send it with (the global one if none). */
export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> &
  Partial<Pick<Dispatcher.RequestOptions, 'method'>> & { readonly dispatcher?: Dispatcher };

/**
 * undici's `request(url, options)`: the URL parsed as undici parses it (http and https only), its
 * origin, path and query sent with `options` through `options.dispatcher`, or undici's global one.
 * As undici's, a request with a body and no method is a PUT, without one a GET.
 */
export function request(url: string | URL, options: RequestOptions = {}): Promise<Dispatcher.ResponseData> {
  if (!url) throw new errors.InvalidArgumentError('invalid url');
  const parsed = util.parseURL(url);
  const { dispatcher = global.getGlobalDispatcher(), ...rest } = options;
  return (api.request as (this: Dispatcher, options: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>).call(dispatcher, {
    ...rest,
    origin: parsed.origin,
    path: parsed.search ? `${parsed.pathname}${parsed.search}` : parsed.pathname,
    method: options.method || (options.body ? 'PUT' : 'GET'),
  } as Dispatcher.RequestOptions);
}

/**
 * The HTTP/2 session of an undici `Client` (one connection of a `Pool`), or undefined when the
 * connection speaks HTTP/1.1 or is not open. Undici keeps it under an internal symbol and exposes
 * no handle on it; src/util/undici.test.ts checks it is found, so an update that moves it fails there.
 */
export function http2SessionOf(client: Dispatcher): ClientHttp2Session | undefined {
  const session = (client as unknown as Record<symbol, unknown>)[symbols.kHTTP2Session];
  return session !== null && typeof session === 'object' ? (session as ClientHttp2Session) : undefined;
}
