/**
 * The request target of an HTTP/1.1 request line, split into what routing needs: the normalised
 * path, the raw query string and, for the absolute form (`GET http://host/path`, which RFC 9112
 * §3.2.2 requires servers to accept), the authority that then stands for the Host header.
 */
import { normalizePath } from './normalize-path.js';

/** A request target split for routing. */
export interface RequestTarget {
  readonly path: string;
  /** Without the '?'; '' when absent. */
  readonly query: string;
  /** The authority of an absolute-form target, lower-cased; null for the usual origin form. */
  readonly authority: string | null;
}

const ABSOLUTE = /^https?:\/\/([^/?#]*)/i;

/** Parses `url` (as Node gives `req.url`); null when it is neither origin- nor absolute-form. */
export function parseRequestTarget(url: string): RequestTarget | null {
  let authority: string | null = null;
  let rest = url;
  if (url.charCodeAt(0) !== 47 /* '/' */) {
    const m = ABSOLUTE.exec(url);
    if (m === null) return null;
    authority = m[1]!.toLowerCase();
    rest = url.slice(m[0].length) || '/';
    if (rest.charCodeAt(0) === 63 /* '?' */) rest = '/' + rest;
  }
  const q = rest.indexOf('?');
  const path = normalizePath(q === -1 ? rest : rest.slice(0, q));
  if (path === null) return null;
  return { path, query: q === -1 ? '' : rest.slice(q + 1), authority };
}
