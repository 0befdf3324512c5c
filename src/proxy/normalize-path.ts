/**
 * Request path normalisation before routing. A gateway that matches `/public` but forwards
 * `/public/../admin` lets a client reach a route it was never given (the upstream resolves the
 * dots). So, like nginx in front of Kong: percent-encoded unreserved characters are decoded,
 * dot segments are resolved and repeated slashes merged; the normalised path is both matched and
 * forwarded.
 *
 * Refused (null, answered 400 `PC_PROXY_PATH_REFUSED`), because upstreams read them differently
 * and some of those readings climb out of the routed tree:
 * - a raw `\` (RFC 3986 has none; some servers take it for `/`);
 * - a `%` not followed by two hex digits, `%00`, and percent-encoded bytes that are not valid
 *   UTF-8 (overlong forms such as `%c0%ae`, lone continuation bytes, truncated sequences);
 * - a dot segment hidden from `/`-splitting: `..%2F`, `%2e%2e%5c`, `..;` (see `path-confinement.ts`).
 * Reserved characters stay encoded and are forwarded as sent: `%2F` and `%5C` are not separators
 * for routing (APIs such as GitLab's put `%2F` in ids).
 */
import { hasDotSegment, hexByte, mayHideDotSegment } from './path-confinement.js';

const UNRESERVED = /%(2[dDeE]|3[0-9]|4[1-9a-fA-F]|5[0-9aA]|5[fF]|6[1-9a-fA-F]|7[0-9aA]|7[eE])/g;

/**
 * Returns `path` itself when it needs no work (the common case, checked without allocating),
 * otherwise its normalised form, always starting with '/'. Returns null for a path that is not
 * origin-form (does not start with '/') or that is refused (see the header).
 */
export function normalizePath(path: string): string | null {
  if (path.charCodeAt(0) !== 47) return null;
  const percent = path.indexOf('%');
  if (percent === -1 && path.indexOf('/.') === -1 && path.indexOf('//') === -1 && path.indexOf('\\') === -1) return path;
  if (path.indexOf('\\') !== -1) return null;
  const decoded = percent === -1 ? path : decodePercents(path, percent);
  if (decoded === null) return null;
  const resolved = resolveSegments(decoded);
  // Every '/'-separated dot segment is resolved by now: one still found was hidden behind another separator.
  return mayHideDotSegment(resolved) && hasDotSegment(resolved) ? null : resolved;
}

/**
 * Checks every run of consecutive `%XX` escapes (starting at `first`) and decodes the unreserved
 * ones; null when an escape is malformed, is `%00`, or a run is not valid UTF-8.
 */
function decodePercents(path: string, first: number): string | null {
  let out = '';
  let copied = 0;
  for (let start = first; start !== -1; start = path.indexOf('%', copied)) {
    let end = start;
    while (end < path.length && path.charCodeAt(end) === 37) {
      const byte = hexByte(path, end + 1);
      if (byte <= 0) return null;
      end += 3;
    }
    const run = path.slice(start, end);
    if (!isUtf8(run)) return null;
    out += path.slice(copied, start) + run.replace(UNRESERVED, decodeUnreserved);
    copied = end;
  }
  return out + path.slice(copied);
}

/** decodeURIComponent refuses overlong forms, surrogates, stray continuation and truncated sequences. */
function isUtf8(escapes: string): boolean {
  try {
    decodeURIComponent(escapes);
    return true;
  } catch {
    return false;
  }
}

function decodeUnreserved(match: string, hex: string): string {
  void match;
  return String.fromCharCode(parseInt(hex, 16));
}

/** RFC 3986 §5.2.4 remove_dot_segments, plus merging of empty segments ('//' → '/'). */
function resolveSegments(path: string): string {
  const input = path.split('/');
  const output: string[] = [];
  for (let i = 1; i < input.length; i++) {
    const segment = input[i]!;
    const last = i === input.length - 1;
    if (segment === '..') {
      output.pop();
      if (last) output.push('');
    } else if (segment === '.') {
      if (last) output.push('');
    } else if (segment === '') {
      if (last) output.push('');
    } else {
      output.push(segment);
    }
  }
  return '/' + output.join('/');
}
