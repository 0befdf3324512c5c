/**
 * The request target of an HTTP/1.1 request line, split into what routing needs: the normalised
 * path, the raw query string and, for the absolute form (`GET http://host/path`, which RFC 9112
 * §3.2.2 requires servers to accept), the authority that then stands for the Host header.
 * A target that is neither origin- nor absolute-form is malformed (400 `PC_BAD_REQUEST`); a path
 * that normalisation refuses (`normalize-path.ts`) is answered 400 `PC_PROXY_PATH_REFUSED`.
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

/** Why a target cannot be routed: the error code it is answered with (status 400). */
export interface TargetRefusal {
  readonly refused: 'PC_BAD_REQUEST' | 'PC_PROXY_PATH_REFUSED';
}

const MALFORMED: TargetRefusal = Object.freeze({ refused: 'PC_BAD_REQUEST' });
const PATH_REFUSED: TargetRefusal = Object.freeze({ refused: 'PC_PROXY_PATH_REFUSED' });

const ABSOLUTE = /^https?:\/\/([^/?#]*)/i;

/** Parses `url` (as Node gives `req.url`). */
export function parseRequestTarget(url: string): RequestTarget | TargetRefusal {
  let authority: string | null = null;
  let rest = url;
  if (url.charCodeAt(0) !== 47 /* '/' */) {
    const m = ABSOLUTE.exec(url);
    if (m === null) return MALFORMED;
    authority = m[1]!.toLowerCase();
    rest = url.slice(m[0].length) || '/';
    if (rest.charCodeAt(0) === 63 /* '?' */) rest = '/' + rest;
    if (rest.charCodeAt(0) !== 47) return MALFORMED;
  }
  const q = rest.indexOf('?');
  const path = normalizePath(q === -1 ? rest : rest.slice(0, q));
  if (path === null) return PATH_REFUSED;
  return { path, query: q === -1 ? '' : rest.slice(q + 1), authority };
}

/** True when `target` could not be parsed or its path was refused. */
export function isRefusal(target: RequestTarget | TargetRefusal): target is TargetRefusal {
  return target === MALFORMED || target === PATH_REFUSED;
}
