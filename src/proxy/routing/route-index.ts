/**
 * Every entry of a router, filed by host class (`exact-host-index.ts`, `wildcard-host-index.ts`,
 * a `route-table.ts` for host-less routes), and versioned: the router views (`router.ts`) each
 * read it at their own version, so one index serves the state in use and the states requests in
 * flight still hold. An update files a route's new entries at the next version and marks its old
 * ones removed from it (`ranked-entry.ts`); nothing a view of an earlier version sees changes.
 *
 * Why versions rather than copies: copying the path to a changed node of the prefix tree copies
 * the children maps on the way, and a node can have thousands (`/api/v1/resource<i>`); marks cost
 * O(entries of the route). Marked entries stay in the lists until the next full build (the owner
 * counts them, `removedEntries`, and rebuilds in full when they grow).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Route } from '../../entities/routes.js';
import type { Service } from '../../entities/services.js';
import { compileEntry, PathBytes, type RouteEntry } from '../route-entry.js';
import { fillInBulk, type RankedEntry, type RouteHit } from './ranked-entry.js';
import { ExactHostIndex, portless } from './exact-host-index.js';
import { WildcardHostIndex } from './wildcard-host-index.js';
import { RouteTable } from './route-table.js';

/** A route to file and the service it names (null: none, or unknown); a disabled service's routes file nothing. */
export interface RouteWithService {
  readonly route: Route;
  readonly service: Service | null;
}

const NO_HOSTS: readonly string[] = [];
const ANY_PATH: readonly null[] = [null];

/** Where a compiled entry is filed: under one exact host, under wildcard patterns, or (null) under no host. */
type Filing = string | readonly string[] | null;

export class RouteIndex {
  readonly #exact = new ExactHostIndex();
  readonly #wildcard = new WildcardHostIndex();
  readonly #anyHost = new RouteTable();
  /** The live entries of each route, to mark them removed: the entry alone when it is the route's only one (most are). */
  readonly #byRoute = new Map<string, RankedEntry | RankedEntry[]>();
  /** Set once a regex entry is filed: lookups then make the path's bytes holder (harmless for versions without one). */
  #hasRegex = false;
  /** Entries marked removed, still in the lists. */
  removedEntries = 0;

  /**
   * Files every route at version 0 (`services` keyed by id), each entry where it goes as it is
   * compiled; the lists are sorted once at the end (`fillInBulk`). Builds of 10k routes and more:
   * no object or array per route beyond the entries themselves.
   */
  constructor(routes: readonly Route[], services: ReadonlyMap<string, Service>) {
    const entries: RouteEntry[] = [];
    const filings: Filing[] = [];
    let ordinal = 0;
    fillInBulk(() => {
      for (const route of routes) {
        // The lists grow through the build: emptying them per route would free and remake their backing stores.
        const first = entries.length;
        compileRoute(route, route.service ? (services.get(route.service.id) ?? null) : null, entries, filings);
        for (let i = first; i < entries.length; i++) {
          this.#file({ entry: entries[i]!, ordinal: ordinal++, added: 0, removed: Infinity }, filings[i]!, route.id);
        }
      }
    });
  }

  /** Files `changed` routes at `version`, after marking the entries of `removed` ids and of the changed routes removed from it. */
  update(version: number, removed: readonly string[], changed: readonly RouteWithService[]): void {
    // Compiled first: a route that cannot compile throws before anything is filed.
    const compiled = changed.map(({ route, service }) => {
      const entries: RouteEntry[] = [];
      const filings: Filing[] = [];
      compileRoute(route, service, entries, filings);
      return { id: route.id, entries, filings };
    });
    for (const id of removed) this.#remove(id, version);
    for (const { id, entries, filings } of compiled) {
      this.#remove(id, version);
      for (let i = 0; i < entries.length; i++) this.#file({ entry: entries[i]!, ordinal: i, added: version, removed: Infinity }, filings[i]!, id);
    }
  }

  /** The best entry visible at `version` for a request, or null. */
  find(version: number, method: string, host: string | undefined, path: string, headers: IncomingHttpHeaders): RouteHit | null {
    const bytes = this.#hasRegex ? new PathBytes(path) : null;
    const withPort = host === undefined ? '' : host.toLowerCase();
    const hostname = portless(withPort);
    return (
      this.#exact.find(withPort, hostname)?.find(version, method, path, headers, bytes) ??
      this.#wildcard.find(version, hostname, withPort.slice(hostname.length + 1), method, path, headers, bytes) ??
      this.#anyHost.find(version, method, path, headers, bytes)
    );
  }

  #file(ranked: RankedEntry, filing: Filing, routeId: string): void {
    if (typeof filing === 'string') this.#exact.add(filing, ranked);
    else if (filing !== null) for (const pattern of filing) this.#wildcard.add(pattern, ranked);
    else this.#anyHost.add(ranked);
    if (ranked.entry.kind === 'regex') this.#hasRegex = true;
    const own = this.#byRoute.get(routeId);
    if (own === undefined) this.#byRoute.set(routeId, ranked);
    else if (Array.isArray(own)) own.push(ranked);
    else this.#byRoute.set(routeId, [own, ranked]);
  }

  #remove(routeId: string, version: number): void {
    const own = this.#byRoute.get(routeId);
    if (own === undefined) return;
    if (Array.isArray(own)) {
      for (const ranked of own) ranked.removed = version;
      this.removedEntries += own.length;
    } else {
      own.removed = version;
      this.removedEntries += 1;
    }
    this.#byRoute.delete(routeId);
  }
}

/** Compiles `route`'s entries in the linear router's order (ties keep it), with where each is filed. */
function compileRoute(route: Route, service: Service | null, entries: RouteEntry[], filings: Filing[]): void {
  if (service !== null && !service.enabled) return;
  const hosts = route.hosts.length > 0 ? route.hosts.map((h) => h.toLowerCase()) : NO_HOSTS;
  const exactHosts = hosts.length > 0 ? hosts.filter((h) => !h.includes('*')) : NO_HOSTS;
  const wildHosts = hosts.length > 0 ? hosts.filter((h) => h.includes('*')) : NO_HOSTS;
  // No closure per route: builds of 10k routes and more (a closure and its context object each).
  const paths = route.paths.length > 0 ? route.paths : ANY_PATH;
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i]!;
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
