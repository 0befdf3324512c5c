/**
 * The proxy's errors as gRPC status codes: one table from the HTTP status the error has in the
 * catalogue (and in plugins' answers) to the code a gRPC client is given. It follows gRPC's own
 * HTTP-to-gRPC mapping (doc/http-grpc-status-mapping.md: 401 UNAUTHENTICATED, 403
 * PERMISSION_DENIED, 404 UNIMPLEMENTED, 429/502/503 UNAVAILABLE) where that mapping applies, and
 * is more exact where the gateway knows more: a limit is RESOURCE_EXHAUSTED, an upstream timeout
 * DEADLINE_EXCEEDED, a bad request INVALID_ARGUMENT.
 *
 * No route is UNIMPLEMENTED (not NOT_FOUND): it is what a gRPC server answers for a method it does
 * not serve, and what clients already derive from an HTTP 404, so the gateway changes nothing there.
 */

import { GRPC_CODE_NAMES } from '../../util/grpc-codes.js';

/** gRPC status codes (grpc/doc/statuscodes.md). */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/**
 * The name of a `grpc-status` value as received: UNKNOWN for anything but a code 0–16 in decimal
 * (what a gRPC client makes of a status it does not know), so a hostile upstream cannot add label
 * values: the `grpc_code` metric label.
 */
export function grpcCodeName(value: unknown): string {
  const text = Array.isArray(value) ? value[0] : value;
  if (typeof text !== 'string' || !/^\d{1,2}$/.test(text)) return 'UNKNOWN';
  return GRPC_CODE_NAMES[Number(text)] ?? 'UNKNOWN';
}

/**
 * gRPC's HTTP-to-gRPC mapping (doc/http-grpc-status-mapping.md): what a client makes of an HTTP
 * answer without `grpc-status`, such as an upstream's plain 503.
 */
export function grpcCodeOfHttpAnswer(status: number): string {
  switch (status) {
    case 400:
      return 'INTERNAL';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 404:
      return 'UNIMPLEMENTED';
    case 429:
    case 502:
    case 503:
    case 504:
      return 'UNAVAILABLE';
    default:
      return 'UNKNOWN';
  }
}

/** HTTP status of a proxy error → gRPC status. */
export const GRPC_STATUS_BY_HTTP: ReadonlyMap<number, number> = new Map([
  [400, GrpcStatus.INVALID_ARGUMENT],
  [401, GrpcStatus.UNAUTHENTICATED],
  [403, GrpcStatus.PERMISSION_DENIED],
  [404, GrpcStatus.UNIMPLEMENTED],
  [408, GrpcStatus.DEADLINE_EXCEEDED],
  [413, GrpcStatus.RESOURCE_EXHAUSTED],
  // The route needs TLS (`grpcs`) and the call came in cleartext: retrying the same way cannot help.
  [426, GrpcStatus.FAILED_PRECONDITION],
  [429, GrpcStatus.RESOURCE_EXHAUSTED],
  [431, GrpcStatus.RESOURCE_EXHAUSTED],
  [500, GrpcStatus.INTERNAL],
  [501, GrpcStatus.UNIMPLEMENTED],
  [502, GrpcStatus.UNAVAILABLE],
  [503, GrpcStatus.UNAVAILABLE],
  [504, GrpcStatus.DEADLINE_EXCEEDED],
]);

/** The gRPC status for an error answered with HTTP `status`: UNKNOWN for any the table lacks. */
export function grpcStatusFor(status: number): number {
  return GRPC_STATUS_BY_HTTP.get(status) ?? GrpcStatus.UNKNOWN;
}

/**
 * `grpc-message` as the protocol wants it: UTF-8, percent-encoded outside printable ASCII and for
 * `%` itself, so any message is a valid header value.
 */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
