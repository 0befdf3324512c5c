/**
 * One log line per admin request, written when the response is finished: method, route
 * pattern, path, status and duration. Never a body, a query string or a header, so neither the
 * admin token nor a credential in a request can reach the log. Reads at debug; writes and
 * errors at info, since they are what an operator audits.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import type { Logger } from '../observability/logger.js';
import { requestPath } from './list-response.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The `onResponse` hook; `count` is called once per answered request (for `/status`), `counter` counts it by route, method and status. */
export function createRequestLog(logger: Logger, count: () => void, counter?: Counter<'route' | 'method' | 'status'>) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    count();
    counter?.inc({ route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.statusCode) });
    const line = {
      request_id: request.id,
      method: request.method,
      route: request.routeOptions.url ?? null,
      path: requestPath(request).slice(0, 512),
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
    };
    if (READS.has(request.method) && reply.statusCode < 400) logger.debug(line, 'admin request');
    else logger.info(line, 'admin request');
  };
}
