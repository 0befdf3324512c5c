/**
 * Admin token authentication. When `admin_token` is configured, every admin request must carry
 * it, as `Authorization: Bearer <token>` or `Portcullis-Admin-Token: <token>`, except routes
 * that declare `config: { adminPublic: true }` (only the readiness probe does). It runs in
 * `onRequest`, before the body is read, so an unauthenticated client cannot make the node parse
 * a megabyte of JSON. The comparison hashes both sides first, so neither the token's length nor
 * its content leaks through timing. The token is never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PortcullisError } from '../errors/portcullis-error.js';

/** The header that carries the token when `Authorization` is used for something else. */
export const ADMIN_TOKEN_HEADER = 'portcullis-admin-token';

/** Route config flag: the route answers without a token (load balancer probes). */
export interface AdminRouteConfig {
  readonly adminPublic?: boolean;
}

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="portcullis-admin"' } as const;

/** True when `presented` equals `expected`, in time independent of where they differ. */
export function tokensEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** The token a request presents: the dedicated header first, then a Bearer authorization. */
export function presentedToken(headers: FastifyRequest['headers']): string | undefined {
  const dedicated = headers[ADMIN_TOKEN_HEADER];
  if (typeof dedicated === 'string' && dedicated.length > 0) return dedicated.trim();
  const authorization = headers.authorization;
  if (typeof authorization !== 'string') return undefined;
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  return match?.[1];
}

/**
 * The `onRequest` hook enforcing the token, or a hook that lets everything through when no
 * token is configured (the config loader refuses that on a non-loopback address).
 */
export function createAdminAuth(token: string | undefined) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (token === undefined) return;
    if ((request.routeOptions.config as AdminRouteConfig | undefined)?.adminPublic === true) return;
    const presented = presentedToken(request.headers);
    if (presented !== undefined && tokensEqual(presented, token)) return;
    throw new PortcullisError('PC_ADMIN_UNAUTHORIZED', {
      message: presented === undefined ? 'A valid admin token is required' : 'The admin token is not valid',
      headers: CHALLENGE,
    });
  };
}
