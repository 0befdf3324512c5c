/**
 * One routing entry: a route compiled for one of its paths (Kong splits routes by path the same
 * way), with its method and header conditions precomputed, and the order in which entries are
 * tried. The router (`router.ts`) buckets entries by host and tries them in this order.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Route } from '../entities/routes.js';
import type { Service } from '../entities/services.js';

/** How an entry matches the path: a plain prefix, an anchored regex, or any path (no paths). */
export type PathKind = 'prefix' | 'regex' | 'any';

interface HeaderRule {
  readonly name: string;
  /** Accepted values, lower-cased: header values compare case-insensitively. */
  readonly values: ReadonlySet<string>;
}

/** A route compiled for one of its paths, as the router tries it. */
export interface RouteEntry {
  readonly route: Route;
  readonly service: Service | null;
  readonly kind: PathKind;
  readonly prefix: string;
  readonly regex: RegExp | null;
  readonly methods: readonly string[] | null;
  readonly headers: readonly HeaderRule[];
  /** True for an entry filed under a host that names a port: it beats the same host without one. */
  readonly portSpecific: boolean;
}

/** Compiles `route` for one path (`null`: the route has no paths and matches any path). */
export function compileEntry(route: Route, service: Service | null, path: string | null, portSpecific = false): RouteEntry {
  const isRegex = path !== null && path.startsWith('~');
  return {
    route,
    service,
    kind: path === null ? 'any' : isRegex ? 'regex' : 'prefix',
    prefix: path !== null && !isRegex ? path : '',
    // Kong anchors regex paths at the start of the path; the group keeps alternations inside.
    regex: isRegex ? new RegExp(`^(?:${path.slice(1)})`) : null,
    methods: route.methods.length > 0 ? route.methods.map((m) => m.toUpperCase()) : null,
    headers: Object.entries(route.headers).map(([name, values]) => ({
      name: name.toLowerCase(),
      values: new Set(values.map((v) => v.toLowerCase())),
    })),
    portSpecific,
  };
}

/**
 * Length of the path part `entry` matched, or -1 when it does not match the method, headers or
 * path. Host conditions are the router's business (it only offers entries whose host matched).
 */
export function matchEntry(entry: RouteEntry, method: string, path: string, headers: IncomingHttpHeaders): number {
  if (entry.methods !== null && !entry.methods.includes(method)) return -1;
  for (let i = 0; i < entry.headers.length; i++) {
    if (!headerMatches(entry.headers[i]!, headers[entry.headers[i]!.name])) return -1;
  }
  if (entry.kind === 'prefix') return path.startsWith(entry.prefix) ? entry.prefix.length : -1;
  if (entry.kind === 'regex') {
    const m = entry.regex!.exec(path);
    return m === null ? -1 : m[0].length;
  }
  return 0;
}

function headerMatches(rule: HeaderRule, value: string | string[] | undefined): boolean {
  if (value === undefined) return false;
  if (typeof value === 'string') {
    if (rule.values.has(value.toLowerCase())) return true;
    if (value.indexOf(',') === -1) return false;
    value = value.split(',');
  }
  // Repeated headers arrive joined with ', ': any one of their values may match.
  for (const v of value) if (rule.values.has(v.trim().toLowerCase())) return true;
  return false;
}

/**
 * Entry order inside one host bucket, most specific first: plain prefixes by length, then regexes
 * by `regex_priority`, then path-less entries; at equal path rank, a host with a port, then more
 * header conditions, then a method condition; then the older route (creation time), then the id,
 * so the order is total.
 */
export function compareEntries(a: RouteEntry, b: RouteEntry): number {
  return (
    pathRank(b) - pathRank(a) ||
    (a.kind === 'prefix' ? b.prefix.length - a.prefix.length : 0) ||
    (a.kind === 'regex' ? b.route.regex_priority - a.route.regex_priority : 0) ||
    (b.portSpecific ? 1 : 0) - (a.portSpecific ? 1 : 0) ||
    b.headers.length - a.headers.length ||
    (b.methods ? 1 : 0) - (a.methods ? 1 : 0) ||
    a.route.created_at - b.route.created_at ||
    (a.route.id < b.route.id ? -1 : a.route.id > b.route.id ? 1 : 0)
  );
}

function pathRank(entry: RouteEntry): number {
  return entry.kind === 'prefix' ? 2 : entry.kind === 'regex' ? 1 : 0;
}
