/**
 * Request path normalisation before routing. A gateway that matches `/public` but forwards
 * `/public/../admin` lets a client reach a route it was never given (the upstream resolves the
 * dots). So, like nginx in front of Kong: percent-encoded unreserved characters are decoded,
 * dot segments are resolved and repeated slashes merged; the normalised path is both matched and
 * forwarded. Reserved characters stay encoded (`%2F` is not a separator).
 */

const UNRESERVED = /%(2[dDeE]|3[0-9]|4[1-9a-fA-F]|5[0-9aA]|5[fF]|6[1-9a-fA-F]|7[0-9aA]|7[eE])/g;

/**
 * Returns `path` itself when it needs no work (the common case, checked without allocating),
 * otherwise its normalised form, always starting with '/'. Returns null for a path that is not
 * origin-form (does not start with '/').
 */
export function normalizePath(path: string): string | null {
  if (path.charCodeAt(0) !== 47) return null;
  if (path.indexOf('%') === -1 && path.indexOf('/.') === -1 && path.indexOf('//') === -1) return path;
  const decoded = path.indexOf('%') === -1 ? path : path.replace(UNRESERVED, decodeUnreserved);
  return resolveSegments(decoded);
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
