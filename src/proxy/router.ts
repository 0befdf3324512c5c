/**
 * The router: which route, and so which service, a request belongs to. Built once per
 * configuration change from plain entities; a lookup only reads precomputed tables.
 *
 * Order of precedence (decided in docs, Kong-like; `docs/design.md`, "Router"):
 * 1. Host: routes naming the request's host exactly, then routes whose wildcard host
 *    (`*.example.com`, `example.*`) matches, then routes without hosts. A host with a port
 *    (`example.com:8080`) only matches that port; a host without one matches any port.
 * 2. Within a host class, `compareEntries`: the longest plain prefix wins; regexes (`~…`, anchored
 *    at the start) are tried when no plain prefix matches, by `regex_priority` then age; routes
 *    with header or method conditions win over routes without at the same path rank.
 * Routes of disabled services are left out, so their requests fall to other routes or 404.
 *
 * Data structure (`routing/`): every entry is ranked once in that order (`ranked-entry.ts`); exact
 * hosts are a Map of route tables (`exact-host-index.ts`), wildcard hosts a Map by stem looked up
 * with the request host's suffixes and prefixes (`wildcard-host-index.ts`), and each route table
 * (`route-table.ts`) keeps plain prefixes in a tree keyed by path segment (`prefix-tree.ts`), regexes
 * and path-less entries apart (a regex whose literal start the path lacks is skipped before RE2). A
 * lookup costs the depth of the path and the candidates at the prefixes it passes, not the number
 * of routes. `testing/reference-router.ts` is the old linear
 * matcher, and the property tests hold the two to the same answers.
 *
 * Confinement: every match goes through `toMatch`, which refuses (`PATH_REFUSED`, answered 400) a
 * request whose remainder (after `strip_path`) holds a dot segment under any upstream's reading
 * (`path-confinement.ts`). The remainder is always joined below the service path at a segment
 * boundary, so the upstream path stays equal to the service path or inside its tree, whatever the
 * route kind (a regex may end mid-segment: `~/files` on `/files../x` leaves `../x`).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Route } from '../entities/routes.js';
import type { Service } from '../entities/services.js';
import { compileEntry, PathBytes, type RouteEntry } from './route-entry.js';
import { joinUpstreamPath, stripMatchedPrefix } from './upstream-path.js';
import { hasDotSegment, mayHideDotSegment } from './path-confinement.js';
import { rankEntries, type RankedEntry, type RouteHit } from './routing/ranked-entry.js';
import { ExactHostIndex, portless } from './routing/exact-host-index.js';
import { WildcardHostIndex } from './routing/wildcard-host-index.js';
import { RouteTable } from './routing/route-table.js';

/** The route a request belongs to, with the paths derived from it. */
export interface RouteMatch {
  readonly route: Route;
  /** Null when the route names no service (or an unknown one): only a plugin can answer. */
  readonly service: Service | null;
  /** The request path after `strip_path` (the whole path when it is off); starts with '/'. */
  readonly strippedPath: string;
  /** `service.path` joined with `strippedPath`: the upstream path, without the query string. */
  readonly upstreamPath: string;
}

/** The router's answer when the best route would send the request outside its service path. */
export interface PathRefused {
  readonly refused: true;
}

/** The one `PathRefused` value. */
export const PATH_REFUSED: PathRefused = Object.freeze({ refused: true });

/** True for the router's `PATH_REFUSED` answer. */
export function isPathRefused(found: RouteMatch | PathRefused): found is PathRefused {
  return found === PATH_REFUSED;
}

/** Finds the route of a request; immutable once built. */
export interface Router {
  /**
   * The best route for a request, `PATH_REFUSED` when that route would forward it outside the
   * service path's tree, or null when none matches. `path` is normalised and excludes the query.
   */
  match(method: string, host: string | undefined, path: string, headers: IncomingHttpHeaders): RouteMatch | PathRefused | null;
}

const NO_HOSTS: readonly string[] = [];
const ANY_PATH: readonly null[] = [null];

/** Where a compiled entry is filed: under one exact host, under wildcard patterns, or (null) under no host. */
type Filing = string | readonly string[] | null;

/** Builds a router over `routes`; `services` is keyed by service id. */
export function createRouter(routes: readonly Route[], services: ReadonlyMap<string, Service>): Router {
  // Compiled in the order the linear router compiled them: ties in rank keep this order.
  const entries: RouteEntry[] = [];
  const filings: Filing[] = [];
  for (const route of routes) {
    const service = route.service ? (services.get(route.service.id) ?? null) : null;
    if (service !== null && !service.enabled) continue;
    const hosts = route.hosts.length > 0 ? route.hosts.map((h) => h.toLowerCase()) : NO_HOSTS;
    const exactHosts = hosts.length > 0 ? hosts.filter((h) => !h.includes('*')) : NO_HOSTS;
    const wildHosts = hosts.length > 0 ? hosts.filter((h) => h.includes('*')) : NO_HOSTS;
    for (const path of route.paths.length > 0 ? route.paths : ANY_PATH) {
      for (const host of exactHosts) {
        entries.push(compileEntry(route, service, path, portless(host) !== host));
        filings.push(host);
      }
      if (wildHosts.length > 0) {
        entries.push(compileEntry(route, service, path));
        filings.push(wildHosts);
      }
      if (hosts.length === 0) {
        entries.push(compileEntry(route, service, path));
        filings.push(null);
      }
    }
  }
  const byExactHost = new Map<string, RankedEntry[]>();
  const wildcard = new WildcardHostIndex();
  const anyHost = new RouteTable();
  // In rank order, so every list is built by appending.
  for (const ranked of rankEntries(entries)) {
    const filing = filings[ranked.index]!;
    if (typeof filing === 'string') pushTo(byExactHost, filing, ranked);
    else if (filing !== null) for (const pattern of filing) wildcard.add(pattern, ranked);
    else anyHost.add(ranked);
  }
  const exact = new ExactHostIndex(byExactHost);
  // Only a router with regex entries makes the per-lookup bytes holder (the usual request allocates nothing more).
  const hasRegex = routes.some((r) => r.paths.some((p) => p.startsWith('~')));

  return {
    match(method, host, path, headers) {
      const bytes = hasRegex ? new PathBytes(path) : null;
      const withPort = host === undefined ? '' : host.toLowerCase();
      const hostname = portless(withPort);
      const hit =
        exact.find(withPort, hostname)?.find(method, path, headers, bytes) ??
        wildcard.find(hostname, withPort.slice(hostname.length + 1), method, path, headers, bytes) ??
        anyHost.find(method, path, headers, bytes);
      return hit === null ? null : toMatch(hit, path);
    },
  };
}

function toMatch({ ranked: { entry }, length }: RouteHit, path: string): RouteMatch | PathRefused {
  const strippedPath = entry.route.strip_path ? stripMatchedPrefix(path, length) : path;
  // The one confinement check: with no dot segment in what is joined, the join stays below the service path.
  if (mayHideDotSegment(strippedPath) && hasDotSegment(strippedPath)) return PATH_REFUSED;
  const upstreamPath = entry.service ? joinUpstreamPath(entry.service.path, strippedPath) : strippedPath;
  return { route: entry.route, service: entry.service, strippedPath, upstreamPath };
}

function pushTo<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
