/**
 * Which requests are gRPC calls, and which responses answer one. A gRPC call is an HTTP/2 request
 * whose `content-type` is `application/grpc`, alone or with a `+format` or parameters (gRPC over
 * HTTP/2, "Requests"); `application/grpc-web…` is another protocol (HTTP/1.1 capable) and is not one.
 *
 * The proxy marks the response of a gRPC call as soon as the request arrives, so every error it
 * writes for it afterwards (`json-error.ts`) takes the gRPC form (`grpc-error.ts`): the client's
 * family decides the error format, and the router sends a call only to a `grpc`/`grpcs` route.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerResponse } from 'node:http2';
import { isHttp2Request } from '../http2/http2-request.js';
import { grpcCodeName, grpcCodeOfHttpAnswer } from './grpc-status.js';

const GRPC_TYPE = 'application/grpc';

/** True for an HTTP/2 request whose content type is gRPC's. */
export function isGrpcRequest(req: IncomingMessage): boolean {
  const type = req.headers['content-type'];
  if (type === undefined || !isHttp2Request(req)) return false;
  if (type.length < GRPC_TYPE.length || type.slice(0, GRPC_TYPE.length).toLowerCase() !== GRPC_TYPE) return false;
  const next = type.charCodeAt(GRPC_TYPE.length);
  // End of the value, `+proto`/`+json`, or `;` parameters; not `-web`.
  return Number.isNaN(next) || next === 43 /* + */ || next === 59; /* ; */
}

/** Responses that answer a gRPC call. */
const calls = new WeakSet<ServerResponse>();

/** Marks `res` as the answer to a gRPC call: its errors are written as gRPC statuses. */
export function markGrpcCall(res: ServerResponse): void {
  calls.add(res);
}

/** True when `res` answers a gRPC call. */
export function isGrpcCall(res: ServerResponse): boolean {
  return calls.has(res);
}

/**
 * The gRPC status a finished call's client was given, by name: the `grpc-status` of the trailers
 * sent, or of the headers of a trailers-only answer (the gateway's own errors, an upstream's); for
 * an answer without one, what gRPC clients make of its HTTP status. A call whose client left
 * before the end is CANCELLED (call it with `finished` false).
 */
export function grpcOutcomeOf(res: ServerResponse, finished: boolean): string {
  if (!finished) return 'CANCELLED';
  const stream = (res as unknown as Partial<Http2ServerResponse>).stream;
  const status = stream?.sentTrailers?.['grpc-status'] ?? res.getHeader('grpc-status');
  if (status !== undefined) return grpcCodeName(status);
  return res.statusCode === 200 ? 'UNKNOWN' : grpcCodeOfHttpAnswer(res.statusCode);
}
