/**
 * The path sent upstream: a service's path joined with what remains of the request path after the
 * route matched (Kong's `path_handling: v0`). Pure string work, no allocation beyond the result.
 * The rest is always joined *below* the service path at a segment boundary (`/s` + `-v2` gives
 * `/s/-v2`, never the sibling `/s-v2`); the router checks it holds no dot segment first.
 */

/**
 * Joins `servicePath` (null when the service has none) and `rest` (always starting with '/') with
 * exactly one slash between them. A bare '/' rest keeps the service path as written, so a service
 * at `/s` answers `/s` and a service at `/s/` answers `/s/`, as in Kong.
 */
export function joinUpstreamPath(servicePath: string | null, rest: string): string {
  if (servicePath === null || servicePath === '/' || servicePath === '') return rest;
  if (rest === '/' || rest === '') return servicePath;
  return servicePath.charCodeAt(servicePath.length - 1) === 47 /* '/' */ ? servicePath + rest.slice(1) : servicePath + rest;
}

/**
 * What remains of `path` once its first `matchedLength` characters are removed, with a leading '/'
 * (a regex may match part of a segment: the rest of that segment becomes a segment of its own).
 */
export function stripMatchedPrefix(path: string, matchedLength: number): string {
  if (matchedLength === 0) return path;
  const rest = path.slice(matchedLength);
  if (rest === '') return '/';
  return rest.charCodeAt(0) === 47 ? rest : '/' + rest;
}
