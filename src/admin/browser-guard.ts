/**
 * Keeps the Admin API out of a browser's reach: an `onRequest` hook that runs before the admin
 * token check and before any body is read.
 *
 * - Without `admin_token`, a request is answered only when its `Host` is a loopback name or
 *   address (403 PC_ADMIN_HOST_REFUSED otherwise). A DNS-rebinding page reaches a loopback
 *   listener with its own name as Host; a page cannot choose Host. With a token the check is not
 *   needed: such a page cannot add the token to its requests (a browser sends no credential it
 *   was not given; the token is a header, not a cookie). The readiness probe is exempt, as it is
 *   from the token: it answers "ready or not" and changes nothing.
 * - A CORS preflight (OPTIONS with `Origin` and `Access-Control-Request-Method`) is answered
 *   only for an origin listed in `admin_cors_origins`; any other gets 403 without CORS headers,
 *   so the browser never sends the request it asked about.
 * - A state-changing request (any method but GET, HEAD and OPTIONS) is refused (403
 *   PC_ADMIN_CROSS_SITE_REFUSED) when it comes from another site: `Sec-Fetch-Site` present and
 *   neither `same-origin` nor `none`, or an `Origin` that is neither this server's own origin nor
 *   listed. This covers what needs no preflight (form posts, `fetch` with `no-cors`).
 * - Responses to a listed origin carry `Access-Control-Allow-Origin`; when origins are listed,
 *   every response carries `Vary: Origin`.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PortcullisError } from '../errors/portcullis-error.js';
import { ADMIN_TOKEN_HEADER, type AdminRouteConfig } from './admin-auth.js';
import { isLoopbackAuthority } from './loopback-host.js';

export interface BrowserGuardOptions {
  /** True when `admin_token` is configured. */
  readonly tokenRequired: boolean;
  /** `admin_cors_origins`: origins whose pages may call the Admin API. */
  readonly corsOrigins: readonly string[];
}

/** Methods a browser may send cross-site without them changing anything. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** `Sec-Fetch-Site` values of a request the user made from this origin or directly. */
const FIRST_PARTY = new Set(['same-origin', 'none']);
/** A plausible Host: name or bracketed address, optional port. Anything else has no origin. */
const HOST_SHAPE = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

const PREFLIGHT_HEADERS = {
  'access-control-allow-methods': 'GET, HEAD, POST, PUT, PATCH, DELETE',
  'access-control-allow-headers': `authorization, content-type, ${ADMIN_TOKEN_HEADER}`,
  'access-control-max-age': '600',
  vary: 'Origin',
} as const;

/** Builds the hook; listed origins are compared in their canonical form (`new URL(o).origin`). */
export function createBrowserGuard(options: BrowserGuardOptions) {
  const listed = new Set(options.corsOrigins.map((o) => new URL(o).origin));
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const { headers } = request;
    if (!options.tokenRequired && !isLoopbackAuthority(headers.host) && !isPublic(request)) {
      throw new PortcullisError('PC_ADMIN_HOST_REFUSED');
    }
    if (listed.size > 0) void reply.header('vary', 'Origin');
    const origin = headers.origin;
    const allowed = origin !== undefined && listed.has(origin);
    if (request.method === 'OPTIONS' && origin !== undefined && headers['access-control-request-method'] !== undefined) {
      if (!allowed) throw new PortcullisError('PC_ADMIN_CROSS_SITE_REFUSED', { message: `Origin ${clip(origin)} is not in admin_cors_origins` });
      return reply
        .code(204)
        .headers({ ...PREFLIGHT_HEADERS, 'access-control-allow-origin': origin })
        .send();
    }
    if (allowed) {
      void reply.header('access-control-allow-origin', origin);
      return undefined;
    }
    if (SAFE_METHODS.has(request.method)) return undefined;
    const site = headers['sec-fetch-site'];
    if (typeof site === 'string' && !FIRST_PARTY.has(site.toLowerCase())) {
      throw new PortcullisError('PC_ADMIN_CROSS_SITE_REFUSED', { message: `A request with Sec-Fetch-Site ${clip(site)} cannot change the Admin API's state` });
    }
    if (origin !== undefined && origin !== ownOrigin(request)) {
      throw new PortcullisError('PC_ADMIN_CROSS_SITE_REFUSED', { message: `Origin ${clip(origin)} is neither this server nor in admin_cors_origins` });
    }
    return undefined;
  };
}

function isPublic(request: FastifyRequest): boolean {
  return (request.routeOptions.config as AdminRouteConfig | undefined)?.adminPublic === true;
}

/** This server's origin as the client addressed it (`http://localhost:8001`), if Host allows one. */
function ownOrigin(request: FastifyRequest): string | undefined {
  const host = request.headers.host;
  if (host === undefined || !HOST_SHAPE.test(host)) return undefined;
  try {
    return new URL(`${request.protocol}://${host}`).origin;
  } catch {
    return undefined;
  }
}

/** A header value quoted in a message: at most 100 characters. */
function clip(value: string): string {
  return JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value);
}
