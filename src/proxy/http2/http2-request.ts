/**
 * Makes an HTTP/2 request (Node's compat `Http2ServerRequest`) read like an HTTP/1.1 one, so the
 * proxy has one request abstraction and one code path for both versions:
 * - `req.headers` becomes a copy without the pseudo-headers (`:method`, `:path`, `:authority`,
 *   `:scheme`), which must never be forwarded as header fields; Node's own `req.method` and
 *   `req.url` keep reading them from the original;
 * - `:authority` becomes `host` when the request has no Host field; a Host that names another
 *   authority (RFC 9113 §8.3.1), more than one Host, or neither is refused, as the HTTP/1.1
 *   ambiguity checks refuse theirs (`ambiguous-request.ts`);
 * - a body without `content-length` (delimited by END_STREAM, as gRPC's always are) is marked
 *   `transfer-encoding: chunked`, the HTTP/1.1 framing with the same meaning, so body limits and
 *   streaming treat it as they treat a chunked body. A client cannot send that field itself:
 *   HTTP/2 refuses connection-specific fields in the frame parser, before this runs.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** The parts of `Http2ServerRequest` this reads. */
export interface Http2RequestLike {
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly stream: { readonly endAfterHeaders: boolean };
}

/**
 * True for a request that came over HTTP/2 (it has a stream). Not `httpVersionMajor === 2`: Node's
 * HTTP/1.1 parser also hands over an `HTTP/2.0` request line, which is refused as ambiguous.
 */
export function isHttp2Request(req: object): req is Http2RequestLike {
  return (req as Partial<Http2RequestLike>).stream !== undefined;
}

/** Replaces `req.headers` by its HTTP/1.1 reading; returns the refusal message, or null when the request is usable. */
export function adaptHttp2Request(req: Http2RequestLike): string | null {
  const original = req.headers;
  const authority = original[':authority'];
  const headers: IncomingHttpHeaders = {};
  for (const name in original) if (name.charCodeAt(0) !== 58 /* : */) headers[name] = original[name];
  // An own property shadows the prototype's getter: the pseudo-headers stay where Node reads them.
  Object.defineProperty(req, 'headers', { value: headers, enumerable: true });
  let hosts = 0;
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (req.rawHeaders[i]!.toLowerCase() === 'host') hosts++;
  if (hosts > 1) return 'The request has more than one Host header';
  if (typeof authority === 'string' && authority !== '') {
    if (hosts === 1 && String(headers.host).toLowerCase() !== authority.toLowerCase()) return 'The Host header differs from the :authority of the request';
    headers.host = authority;
  } else if (hosts === 0) {
    return 'An HTTP/2 request needs :authority or a Host header';
  }
  if (headers['content-length'] === undefined && !req.stream.endAfterHeaders) headers['transfer-encoding'] = 'chunked';
  return null;
}
