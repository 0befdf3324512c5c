/**
 * One warn line for each accepted Admin API write whose response carries `warnings` (a
 * certificate that expires within 30 days …), so the operator's logs say it even when the client
 * ignores the body. The line holds the route, the entity's id and the warnings, which are built
 * from public facts (names, dates), never from a secret.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../observability/logger.js';

const WRITES = new Set(['POST', 'PUT', 'PATCH']);

/** A Fastify `preSerialization` hook: sees the response object before it becomes JSON. */
export function createWriteWarningLog(logger: Logger) {
  return async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    if (!WRITES.has(request.method) || reply.statusCode >= 300 || !payload || typeof payload !== 'object') return payload;
    const { id, warnings } = payload as { id?: unknown; warnings?: unknown };
    if (Array.isArray(warnings) && warnings.length > 0) {
      logger.warn({ request_id: request.id, method: request.method, route: request.routeOptions.url, id, warnings }, 'admin write accepted with warnings');
    }
    return payload;
  };
}
