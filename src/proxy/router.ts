/**
 * The router: which route, and so which service, a request belongs to. Built from plain entities,
 * then updated route by route (`update`: each update gives a new router, the older ones keep
 * their answers); a lookup only reads precomputed tables.
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
 * Data structure (`routing/`): entries are kept in that order by comparing their keys (`ranked-entry.ts`),
 * all in one versioned index (`route-index.ts`); exact
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
import { joinUpstreamPath, stripMatchedPrefix } from './upstream-path.js';
import { hasDotSegment, mayHideDotSegment } from './path-confinement.js';
import type { RouteHit } from './routing/ranked-entry.js';
import { RouteIndex, type RouteWithService } from './routing/route-index.js';

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

/** Finds the route of a request; its answers never change once built. */
export interface Router {
  /**
   * The best route for a request, `PATH_REFUSED` when that route would forward it outside the
   * service path's tree, or null when none matches. `path` is normalised and excludes the query.
   */
  match(method: string, host: string | undefined, path: string, headers: IncomingHttpHeaders): RouteMatch | PathRefused | null;
}

/** What changed since a router: routes gone (by id), and routes created or changed with the service each names. */
export interface RouterChanges {
  readonly removed: readonly string[];
  readonly changed: readonly RouteWithService[];
}

/** A router that can give the next one without a rebuild (`routing/route-index.ts`). */
export interface UpdatableRouter extends Router {
  /**
   * The router with `changes` applied, answering exactly as `createRouter` over the changed route
   * set would; this one keeps its answers. Null when this router is not the latest of its index
   * (an index only moves forward) or an earlier update failed half-way: build a new one then.
   */
  update(changes: RouterChanges): UpdatableRouter | null;
  /** Entries of changed or removed routes the index still holds (a full build drops them). */
  readonly removedEntries: number;
}

/** Builds a router over `routes`; `services` is keyed by service id. */
export function createRouter(routes: readonly Route[], services: ReadonlyMap<string, Service>): UpdatableRouter {
  const index = new RouteIndex(routes, services);
  return viewOf({ index, latest: 0, broken: false }, 0);
}

interface Lineage {
  readonly index: RouteIndex;
  latest: number;
  broken: boolean;
}

function viewOf(lineage: Lineage, version: number): UpdatableRouter {
  const { index } = lineage;
  return {
    match(method, host, path, headers) {
      const hit = index.find(version, method, host, path, headers);
      return hit === null ? null : toMatch(hit, path);
    },
    update(changes) {
      if (lineage.broken || version !== lineage.latest) return null;
      const next = version + 1;
      try {
        index.update(next, changes.removed, changes.changed);
      } catch (err) {
        // Entries of `next` may be filed: no later version may be published from this index.
        lineage.broken = true;
        throw err;
      }
      lineage.latest = next;
      return viewOf(lineage, next);
    },
    get removedEntries() {
      return index.removedEntries;
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
