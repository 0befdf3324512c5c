/**
 * Answers to requests that never reach the request handler, in the proxy's JSON error format
 * with a fresh X-Request-Id: what Node's strict HTTP parser refused (malformed syntax, a version
 * it does not know such as `HTTP/1.2` or the HTTP/2 preface, raw bytes over 0x7F in the target,
 * headers over `max_header_size`, header timeout), CONNECT (a reverse proxy opens no
 * tunnels) and an `Expect` other than `100-continue` (417). The connection is closed afterwards:
 * after a parse error the byte stream cannot be trusted, and an unanswered body may follow.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { ERROR_CATALOGUE, type ErrorCode } from '../errors/catalogue.js';
import { pickRequestId } from './headers.js';
import { writeJsonError } from './json-error.js';

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
};

/** The raw HTTP/1.1 response for a parser error code. */
export function clientErrorResponse(errorCode: string | undefined): string {
  let status = 400;
  let code: keyof typeof ERROR_CATALOGUE = 'PC_BAD_REQUEST';
  let message: string = ERROR_CATALOGUE.PC_BAD_REQUEST.message;
  if (errorCode === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    code = 'PC_HEADERS_TOO_LARGE';
    message = ERROR_CATALOGUE.PC_HEADERS_TOO_LARGE.message;
  } else if (errorCode === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') {
    status = 413;
    code = 'PC_BODY_TOO_LARGE';
    message = ERROR_CATALOGUE.PC_BODY_TOO_LARGE.message;
  } else if (errorCode === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = 408;
    message = 'The request was not received in time';
  }
  return rawJsonResponse(status, code, message);
}

/** A whole HTTP/1.1 response carrying the JSON error, closing the connection. */
function rawJsonResponse(status: number, code: ErrorCode, message: string): string {
  const body = JSON.stringify({ code, message });
  return (
    `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nX-Request-Id: ${randomUUID()}\r\nConnection: close\r\n\r\n${body}`
  );
}

/**
 * The `connect` listener: CONNECT gets 405, and the connection is closed. Over HTTP/2 Node hands
 * over the stream's response instead of a socket: the stream alone is answered.
 */
export function refuseConnect(req: IncomingMessage, socket: Duplex | ServerResponse): void {
  if (!isDuplexSocket(socket)) {
    writeJsonError(socket, { status: 405, code: 'PC_METHOD_NOT_ALLOWED' }, pickRequestId(req.headers['x-request-id']));
    return;
  }
  socket.end(rawJsonResponse(405, 'PC_METHOD_NOT_ALLOWED', ERROR_CATALOGUE.PC_METHOD_NOT_ALLOWED.message));
}

/** An HTTP/1.1 CONNECT's socket, not an HTTP/2 compat response (which has `writeHead`). */
function isDuplexSocket(value: Duplex | ServerResponse): value is Duplex {
  return typeof (value as Partial<ServerResponse>).writeHead !== 'function';
}

/** The `checkExpectation` listener: 417 in JSON for any `Expect` but `100-continue`; the body is not read. */
export function refuseExpectation(req: IncomingMessage, res: ServerResponse): void {
  writeJsonError(res, { status: 417, code: 'PC_EXPECTATION_FAILED', close: true }, pickRequestId(req.headers['x-request-id']));
}

/** The `clientError` listener of the proxy server. */
export function handleClientError(err: Error & { code?: string }, socket: Socket): void {
  // Nothing can be written on a dead socket, nor after a response has started on it.
  const pending = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || pending?.headersSent) {
    socket.destroy();
    return;
  }
  socket.end(clientErrorResponse(err.code));
}
