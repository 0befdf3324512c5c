/**
 * The proxy's error responses: `{"code":"PC_…","message":"…"}` as application/json, always with
 * the request's X-Request-Id. The one writer every proxy error goes through; the answer to a gRPC
 * call (`grpc/grpc-call.ts`) gets the same error as a gRPC status instead (`grpc/grpc-error.ts`).
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ERROR_CATALOGUE, type ErrorCode } from '../errors/catalogue.js';
import { isGrpcCall } from './grpc/grpc-call.js';
import { writeGrpcError } from './grpc/grpc-error.js';
import { isHttp2Request } from './http2/http2-request.js';

/** One error answer of the proxy. */
export interface ProxyErrorResponse {
  readonly status: number;
  readonly code: ErrorCode;
  /** The public message; the catalogue's when absent. Never a secret. */
  readonly message?: string | undefined;
  readonly headers?: Readonly<OutgoingHttpHeaders> | undefined;
  /** Ask the client to close the connection (e.g. a body was left unread). */
  readonly close?: boolean;
}

/**
 * Writes `error` as the whole response. When the response has already started, the only honest
 * signal left is to cut it, so the response is destroyed instead: over HTTP/1.1 the connection
 * closes with its body's length or chunking incomplete; over HTTP/2 the stream is reset with
 * INTERNAL_ERROR. Destroyed without an error it would be reset with NO_ERROR, which clients such as
 * Node's read as the answer's normal end: the part received would pass for the whole.
 */
export function writeJsonError(res: ServerResponse, error: ProxyErrorResponse, requestId: string): void {
  if (isGrpcCall(res)) return writeGrpcError(res, error, requestId);
  if (res.headersSent) {
    res.destroy(isHttp2Request(res.req) ? new Error(`answer cut short: ${error.code}`) : undefined);
    return;
  }
  const body = JSON.stringify({ code: error.code, message: error.message ?? ERROR_CATALOGUE[error.code].message });
  const headers: OutgoingHttpHeaders = {
    ...error.headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-request-id': requestId,
  };
  if (error.close) {
    headers['connection'] = 'close';
    res.shouldKeepAlive = false;
  }
  res.writeHead(error.status, headers);
  res.end(body);
}
