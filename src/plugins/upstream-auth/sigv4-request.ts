/**
 * The request AWS Signature Version 4 signs, built from what the proxy actually sends upstream:
 * its method, its path as sent (percent-encoded; the signer encodes it once more, as AWS does for
 * every service but S3), its query decoded into the signer's parameter bag, its body (bytes, none,
 * or streamed), and the headers that are signed: `host`, `content-type`, `content-md5` and every
 * `x-amz-*`. Other headers are left unsigned on purpose: a proxy or load balancer in front of the
 * upstream may change them (`x-forwarded-for` …), and AWS checks only the headers a signature lists.
 */
import type { HttpRequest } from '@smithy/protocol-http';
import { lazyModule } from '../../util/lazy-module.js';
import type { UpstreamRequest } from '../plugin.js';

/** What needs the signer's packages, in the error when one cannot be loaded. */
export const SIGV4_PURPOSE = 'the aws_sigv4 upstream credential';

/** Loaded when a node first signs (the signer's packages are not loaded by a node without aws_sigv4). */
const protocolHttp = lazyModule<typeof import('@smithy/protocol-http')>('@smithy/protocol-http', SIGV4_PURPOSE);

/** The payload hash of a body whose bytes are not known when the request is signed. */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/** Headers that carry a signature: the client's copies are never sent, ours replace them. */
export const SIGNATURE_HEADERS = ['authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256'] as const;

/** The request to sign for `request`, whose headers are `headers` (lower-case names). */
export function signableRequest(request: UpstreamRequest, headers: Readonly<Record<string, string | string[] | undefined>>): HttpRequest {
  const signed: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || !isSigned(name)) continue;
    // A repeated header is signed as its values joined by commas (the SigV4 canonical form).
    signed[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const q = request.target.indexOf('?');
  return new (protocolHttp().HttpRequest)({
    method: request.method,
    path: q === -1 ? request.target : request.target.slice(0, q),
    query: q === -1 ? {} : queryBag(request.target.slice(q + 1)),
    headers: signed,
    body: Buffer.isBuffer(request.body) ? request.body : undefined,
  });
}

function isSigned(name: string): boolean {
  return name === 'host' || name === 'content-type' || name === 'content-md5' || name.startsWith('x-amz-');
}

/**
 * The query string as the signer wants it: names and values decoded (the signer encodes them
 * again, RFC 3986 style), a name without `=` having the empty value, a repeated name all its values.
 * `+` stays `+`: SigV4 treats it as a literal character, not a space.
 */
export function queryBag(query: string): HttpRequest['query'] {
  const bag: Record<string, string | string[]> = {};
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? '' : decode(part.slice(eq + 1));
    const prior = bag[name];
    bag[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  return bag;
}

/** Percent-decoding; a malformed escape is kept as sent (the upstream will refuse the signature, not the proxy crash). */
function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
