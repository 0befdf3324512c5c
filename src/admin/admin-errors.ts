/**
 * The Admin API's one error mapper: whatever is thrown (a PortcullisError from the store or a
 * route, a Fastify parser or router error, a bug) leaves as `{code, message, fields?}` with the
 * catalogue's status. Unexpected errors become PC_INTERNAL: logged with their stack, answered
 * without it. Framework messages are never echoed, since a JSON parse error quotes the body.
 */
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../observability/logger.js';
import { ERROR_CATALOGUE, type ErrorCode } from '../errors/catalogue.js';
import { PortcullisError, isPortcullisError } from '../errors/portcullis-error.js';
import { databaseErrorFields, isStorageFailure } from '../store/store-errors.js';

/** Fastify's own error codes, mapped to catalogue codes with a message that is safe to show. */
const FRAMEWORK_ERRORS: Readonly<Record<string, { code: ErrorCode; message?: string }>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'PC_UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'PC_BODY_TOO_LARGE' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'PC_BAD_REQUEST', message: 'The body is empty; send a JSON document' },
  // Also what a body with `__proto__` or `constructor.prototype` gets (prototype poisoning).
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'PC_BAD_REQUEST', message: 'The body is not valid JSON' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'PC_BAD_REQUEST', message: 'The body size does not match Content-Length' },
  FST_ERR_BAD_URL: { code: 'PC_BAD_REQUEST', message: 'The URL is not validly percent-encoded' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'PC_BAD_REQUEST', message: 'A path segment is too long' },
  FST_ERR_NOT_FOUND: { code: 'PC_NOT_FOUND' },
};

/** Turns anything thrown while answering an admin request into the PortcullisError to send. */
export function toAdminError(err: unknown): PortcullisError {
  if (isPortcullisError(err)) return err;
  const e = (err ?? {}) as Partial<FastifyError>;
  const known = e.code ? FRAMEWORK_ERRORS[e.code] : undefined;
  if (known) return new PortcullisError(known.code, { ...(known.message ? { message: known.message } : {}), cause: err });
  // Any other framework 400 (a custom parser's SyntaxError …) is a malformed request.
  if (e.statusCode === 400) return new PortcullisError('PC_BAD_REQUEST', { cause: err });
  return new PortcullisError('PC_INTERNAL', { cause: err });
}

/** Sends `err` as the JSON error body with its status and headers (e.g. WWW-Authenticate, Allow). */
export function sendError(reply: FastifyReply, err: PortcullisError): FastifyReply {
  if (err.headers) void reply.headers(err.headers);
  return reply.code(err.status).type('application/json; charset=utf-8').send(err.toBody());
}

/**
 * The Fastify error handler: maps, logs PC_INTERNAL and storage failures, then sends. A storage
 * failure's line carries the database's own error (`db_code` `SQLITE_FULL`, SQLSTATE `53100` …,
 * or the file guard's `DB_FILE_DELETED` …) and the request id, nothing of the request itself.
 */
export function createAdminErrorHandler(logger: Logger) {
  return (err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const mapped = toAdminError(err);
    if (mapped.code === 'PC_INTERNAL') {
      logger.error({ err, request_id: request.id, method: request.method, route: request.routeOptions.url }, 'admin request failed');
    } else if (isStorageFailure(mapped)) {
      logger.warn(
        { request_id: request.id, method: request.method, route: request.routeOptions.url, code: mapped.code, ...databaseErrorFields(mapped) },
        'admin request failed: storage failure',
      );
    }
    return sendError(reply, mapped);
  };
}

/**
 * Answers errors Node raises before a request exists (oversized headers, garbage on the wire)
 * in the same JSON shape. Timeouts and resets just close the socket.
 */
export function writeClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (socket.destroyed || !socket.writable || err.code === 'ECONNRESET' || err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    socket.destroy();
    return;
  }
  const code: ErrorCode = err.code === 'HPE_HEADER_OVERFLOW' ? 'PC_HEADERS_TOO_LARGE' : 'PC_BAD_REQUEST';
  const { status, message } = ERROR_CATALOGUE[code];
  const body = JSON.stringify({ code, message });
  socket.end(
    `HTTP/1.1 ${status} ${code === 'PC_BAD_REQUEST' ? 'Bad Request' : 'Request Header Fields Too Large'}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
