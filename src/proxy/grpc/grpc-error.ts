/**
 * The proxy's errors for gRPC calls: HTTP 200, `content-type: application/grpc` and the status in
 * `grpc-status`/`grpc-message` (grpc-status.ts), the gRPC form every client reads, in place of the
 * JSON body. Before the response started it is a trailers-only response (one HEADERS frame that
 * ends the stream, as gRPC servers send); once the upstream's headers were relayed (an upstream
 * that failed mid-stream) the status goes in the trailers, so the client still learns why.
 */
import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ERROR_CATALOGUE } from '../../errors/catalogue.js';
import type { ProxyErrorResponse } from '../json-error.js';
import { encodeGrpcMessage, grpcStatusFor } from './grpc-status.js';

/** Fields HTTP/2 forbids (RFC 9113 §8.2.2): never copied from an error's headers. */
const CONNECTION_SPECIFIC: ReadonlySet<string> = new Set(['connection', 'upgrade', 'keep-alive', 'proxy-connection', 'transfer-encoding']);

/** Writes `error` as a gRPC status on `res` (the answer to a gRPC call). */
export function writeGrpcError(res: ServerResponse, error: ProxyErrorResponse, requestId: string): void {
  const message = error.message ?? ERROR_CATALOGUE[error.code].message;
  const headers: OutgoingHttpHeaders = {};
  for (const name in error.headers) if (!CONNECTION_SPECIFIC.has(name.toLowerCase())) headers[name] = error.headers[name];
  writeGrpcStatus(res, grpcStatusFor(error.status), message, { ...headers, 'x-request-id': requestId });
}

/** Ends `res` with gRPC `status` and `message`: trailers-only when nothing was sent yet, else in the trailers. */
export function writeGrpcStatus(res: ServerResponse, status: number, message: string, headers: OutgoingHttpHeaders): void {
  const fields = { 'grpc-status': String(status), 'grpc-message': encodeGrpcMessage(message) };
  if (res.writableEnded) return;
  if (res.headersSent) {
    res.addTrailers(fields);
    res.end();
    return;
  }
  // setHeader, not writeHead: Node's HTTP/2 response then sends the headers with END_STREAM.
  res.statusCode = 200;
  for (const name in headers) res.setHeader(name, headers[name]!);
  res.setHeader('content-type', 'application/grpc');
  res.setHeader('grpc-status', fields['grpc-status']);
  res.setHeader('grpc-message', fields['grpc-message']);
  res.end();
}
