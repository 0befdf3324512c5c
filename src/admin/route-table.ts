/**
 * The routes the Admin API has, kept to tell "no such path" (404 PC_NOT_FOUND) from "this path
 * exists, not with this method" (405 PC_METHOD_NOT_ALLOWED with an `Allow` header). Fastify's
 * router answers only "not found", so the table records each route as it is added (an `onRoute`
 * hook, which also sees routes added later by `extraRoutes`) and matches the path on a miss.
 */
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { PortcullisError } from '../errors/portcullis-error.js';
import { requestPath } from './list-response.js';

/** The registered routes, by method and path pattern. */
export interface RouteTable {
  /** Records a route; pass as an `onRoute` hook. */
  add(route: RouteOptions): void;
  /** Methods some route accepts for this concrete path (empty when none). */
  methodsFor(path: string): string[];
  /** The not-found handler: 405 when another method would match, else 404. */
  notFound(request: FastifyRequest, reply: FastifyReply): Promise<void>;
}

/** An empty table; fill it with `add` from an `onRoute` hook. */
export function createRouteTable(): RouteTable {
  const routes: { pattern: RegExp; methods: readonly string[] }[] = [];
  const table: RouteTable = {
    add(route) {
      const methods = (Array.isArray(route.method) ? route.method : [route.method]).map((m) => String(m).toUpperCase());
      routes.push({ pattern: patternOf(route.url), methods });
    },
    methodsFor(path) {
      const allowed = new Set<string>();
      for (const route of routes) if (route.pattern.test(path)) route.methods.forEach((m) => allowed.add(m));
      return [...allowed].sort();
    },
    async notFound(request) {
      const path = requestPath(request);
      const allowed = table.methodsFor(path);
      if (allowed.length > 0) {
        throw new PortcullisError('PC_METHOD_NOT_ALLOWED', {
          message: `${request.method} is not allowed on this path (allowed: ${allowed.join(', ')})`,
          headers: { Allow: allowed.join(', ') },
        });
      }
      throw new PortcullisError('PC_NOT_FOUND', { message: `No Admin API endpoint at ${JSON.stringify(path.slice(0, 256))}` });
    },
  };
  return table;
}

/** `/services/:service/routes` → /^\/services\/[^/]+\/routes\/?$/ (a trailing slash is ignored, as by the router). */
function patternOf(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => {
      if (segment === '*') return '.*';
      return segment
        .split(/(:[A-Za-z0-9_]+(?:\([^)]*\))?)/)
        .map((part) => (part.startsWith(':') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
        .join('');
    })
    .join('/');
  return new RegExp(`^${source.replace(/\/$/, '')}/?$`);
}
