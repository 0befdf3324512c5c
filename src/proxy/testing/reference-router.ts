/**
 * The router as it was before the prefix tree (`routing/`): per host class, one list sorted by
 * `compareEntries` and scanned linearly. Kept, unchanged in behaviour, as the reference the
 * property tests (`routing/router-properties.test.ts`) and the benchmark (`bench/router-match.ts`)
 * compare the real router with: simple enough to read as the specification of precedence.
 * Do not optimise it; its cost grows with the number of routes on purpose.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Route } from '../../entities/routes.js';
import type { Service } from '../../entities/services.js';
import { compareEntries, compileEntry, matchEntry, PathBytes, type RouteEntry } from '../route-entry.js';
import { joinUpstreamPath, stripMatchedPrefix } from '../upstream-path.js';
import { hasDotSegment, mayHideDotSegment } from '../path-confinement.js';
import { PATH_REFUSED, type PathRefused, type RouteMatch, type Router } from '../router.js';

/** A compiled wildcard host: `*.example.com` keeps `.example.com`, `example.*` keeps `example.`. */
interface WildcardHost {
  readonly leading: boolean;
  readonly stem: string;
  /** Null when the pattern names no port (any port matches). */
  readonly port: string | null;
}

interface WildcardEntry {
  readonly entry: RouteEntry;
  readonly hosts: readonly WildcardHost[];
}

/** Builds the linear reference router over `routes`; `services` is keyed by service id. Same answers as `createRouter`. */
export function createReferenceRouter(routes: readonly Route[], services: ReadonlyMap<string, Service>): Router {
  const exact = new Map<string, RouteEntry[]>();
  const wildcard: WildcardEntry[] = [];
  const anyHost: RouteEntry[] = [];

  for (const route of routes) {
    const service = route.service ? (services.get(route.service.id) ?? null) : null;
    if (service !== null && !service.enabled) continue;
    const hosts = route.hosts.map((h) => h.toLowerCase());
    const exactHosts = hosts.filter((h) => !h.includes('*'));
    const wildHosts = hosts.filter((h) => h.includes('*'));
    for (const path of route.paths.length > 0 ? route.paths : [null]) {
      for (const host of exactHosts) pushTo(exact, host, compileEntry(route, service, path, portless(host) !== host));
      if (wildHosts.length > 0) wildcard.push({ entry: compileEntry(route, service, path), hosts: wildHosts.map(compileWildcard) });
      if (hosts.length === 0) anyHost.push(compileEntry(route, service, path));
    }
  }
  // A request for host:port also considers the routes that name the host without a port.
  for (const [key, entries] of exact) {
    const bare = portless(key);
    if (bare !== key) entries.push(...(exact.get(bare) ?? []));
  }
  for (const entries of exact.values()) entries.sort(compareEntries);
  // Only a router with regex entries makes the per-lookup bytes holder (the usual request allocates nothing more).
  const hasRegex = routes.some((r) => r.paths.some((p) => p.startsWith('~')));
  wildcard.sort((a, b) => compareEntries(a.entry, b.entry));
  anyHost.sort(compareEntries);

  return {
    match(method, host, path, headers) {
      const bytes = hasRegex ? new PathBytes(path) : null;
      const withPort = host === undefined ? '' : host.toLowerCase();
      const hostname = portless(withPort);
      const bucket = exact.get(withPort) ?? (hostname !== withPort ? exact.get(hostname) : undefined);
      if (bucket !== undefined) {
        const found = firstMatch(bucket, method, path, headers, bytes);
        if (found !== null) return found;
      }
      for (let i = 0; i < wildcard.length; i++) {
        const w = wildcard[i]!;
        if (!anyWildcardMatches(w.hosts, hostname, withPort.slice(hostname.length + 1))) continue;
        const length = matchEntry(w.entry, method, path, headers, bytes);
        if (length >= 0) return toMatch(w.entry, path, length);
      }
      return firstMatch(anyHost, method, path, headers, bytes);
    },
  };
}

function firstMatch(
  entries: readonly RouteEntry[],
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  bytes: PathBytes | null,
): RouteMatch | PathRefused | null {
  for (let i = 0; i < entries.length; i++) {
    const length = matchEntry(entries[i]!, method, path, headers, bytes);
    if (length >= 0) return toMatch(entries[i]!, path, length);
  }
  return null;
}

function toMatch(entry: RouteEntry, path: string, matchedLength: number): RouteMatch | PathRefused {
  const strippedPath = entry.route.strip_path ? stripMatchedPrefix(path, matchedLength) : path;
  // The one confinement check: with no dot segment in what is joined, the join stays below the service path.
  if (mayHideDotSegment(strippedPath) && hasDotSegment(strippedPath)) return PATH_REFUSED;
  const upstreamPath = entry.service ? joinUpstreamPath(entry.service.path, strippedPath) : strippedPath;
  return { route: entry.route, service: entry.service, strippedPath, upstreamPath };
}

function compileWildcard(pattern: string): WildcardHost {
  const host = portless(pattern);
  const port = host === pattern ? null : pattern.slice(host.length + 1);
  const leading = host.startsWith('*.');
  return { leading, stem: leading ? host.slice(1) : host.slice(0, -1), port };
}

function anyWildcardMatches(hosts: readonly WildcardHost[], hostname: string, port: string): boolean {
  for (let i = 0; i < hosts.length; i++) {
    const h = hosts[i]!;
    if (h.port !== null && h.port !== port) continue;
    if (hostname.length <= h.stem.length) continue;
    if (h.leading ? hostname.endsWith(h.stem) : hostname.startsWith(h.stem)) return true;
  }
  return false;
}

/** `host:port` → `host` (IPv6 literals keep their brackets); a host without port is returned as is. */
function portless(host: string): string {
  const colon = host.lastIndexOf(':');
  return colon === -1 || colon < host.lastIndexOf(']') ? host : host.slice(0, colon);
}

function pushTo(map: Map<string, RouteEntry[]>, key: string, entry: RouteEntry): void {
  const list = map.get(key);
  if (list) list.push(entry);
  else map.set(key, [entry]);
}
