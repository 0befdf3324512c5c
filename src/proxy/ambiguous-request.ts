/**
 * Requests that two servers could read two ways are refused before routing (400 `PC_BAD_REQUEST`):
 * a request line that is not HTTP/1.0 or HTTP/1.1 (Node's parser hands HTTP/0.9 and `HTTP/2.0`
 * lines to the handler), more than one Host header (Node keeps the first in `req.headers`, an
 * upstream or cache may use the last), a Host that differs from the authority of an absolute-form
 * target, and an HTTP/1.1 request without Host (RFC 9112 §3.2). The proxy server turns Node's own
 * Host check off (`requireHostHeader: false`) so that this answer, in the JSON format, is the one
 * the client gets.
 */
import type { IncomingMessage } from 'node:http';
import { isHttp2Request } from './http2/http2-request.js';

/** The message of the refusal for `req`, or null when it is unambiguous. */
export function ambiguityOf(req: IncomingMessage, authority: string | null): string | null {
  // HTTP/2 frames its requests in binary: its own checks ran on arrival (`http2/http2-request.ts`).
  if (isHttp2Request(req)) return null;
  if (req.httpVersionMajor !== 1 || req.httpVersionMinor > 1) return 'Only HTTP/1.0 and HTTP/1.1 requests are served';
  const hosts = countHostHeaders(req.rawHeaders);
  if (hosts > 1) return 'The request has more than one Host header';
  if (hosts === 0) return req.httpVersionMinor === 1 ? 'An HTTP/1.1 request needs a Host header' : null;
  if (authority !== null && req.headers.host!.toLowerCase() !== authority) {
    return 'The Host header differs from the authority of the request target';
  }
  return null;
}

/** Counts Host fields; only 4-letter names are compared, so the usual request costs a length test per header. */
function countHostHeaders(raw: readonly string[]): number {
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 4 && isHost(name)) count++;
  }
  return count;
}

/** `host` in any case, compared without allocating a lower-cased copy (`| 0x20` lower-cases a letter). */
function isHost(name: string): boolean {
  return (
    (name.charCodeAt(0) | 0x20) === 104 /* h */ &&
    (name.charCodeAt(1) | 0x20) === 111 /* o */ &&
    (name.charCodeAt(2) | 0x20) === 115 /* s */ &&
    (name.charCodeAt(3) | 0x20) === 116 /* t */
  );
}
