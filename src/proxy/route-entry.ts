/**
 * One routing entry: a route compiled for one of its paths (Kong splits routes by path the same
 * way), with its method and header conditions precomputed, and the order in which entries are
 * tried. Plain paths match at segment boundaries (see `prefixMatches`). The router (`router.ts`)
 * ranks every entry once in this order and files it by host class and path kind (`routing/`).
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Route } from '../entities/routes.js';
import type { Service } from '../entities/services.js';
import { compileRoutePattern, type RoutePattern } from '../entities/route-pattern.js';
import { regexLiteralPrefix } from './routing/regex-literal-prefix.js';

/**
 * How an entry matches the path: a plain prefix at a segment boundary, an anchored regex, or any
 * path (no paths).
 */
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
  /** True when `prefix` ends with '/': then any path starting with it matches. */
  readonly prefixIsDirectory: boolean;
  /** RE2, sticky and anchored; null for other kinds, or for a stored pattern RE2 refuses (matches nothing). */
  readonly regex: RoutePattern | null;
  /** For a regex: text every match starts with (`regexLiteralPrefix`), checked before RE2 runs; '' otherwise. */
  readonly regexPrefix: string;
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
    prefixIsDirectory: path !== null && !isRegex && path.endsWith('/'),
    regex: isRegex ? compileOrNull(path.slice(1)) : null,
    regexPrefix: isRegex ? regexLiteralPrefix(path.slice(1)) : '',
    methods: route.methods.length > 0 ? route.methods.map((m) => m.toUpperCase()) : null,
    headers: compileHeaders(route.headers),
    portSpecific,
  };
}

const NO_HEADER_RULES: readonly HeaderRule[] = Object.freeze([]);

/** The header conditions; most routes have none, and then share one empty list (builds of 100k routes). */
function compileHeaders(headers: Route['headers']): readonly HeaderRule[] {
  let any = false;
  for (const _ in headers) {
    any = true;
    break;
  }
  if (!any) return NO_HEADER_RULES; // without listing the keys (an array per route)
  return Object.keys(headers).map((name) => ({ name: name.toLowerCase(), values: new Set(headers[name]!.map((v) => v.toLowerCase())) }));
}

/**
 * A route stored before regex paths ran on RE2 may hold a pattern RE2 refuses (a lookaround):
 * it matches nothing rather than stopping the node from loading its configuration. Writes refuse
 * such patterns (`routes.ts`), so a PATCH of the route is the way out.
 */
function compileOrNull(source: string): RoutePattern | null {
  try {
    return compileRoutePattern(source);
  } catch {
    return null;
  }
}

/**
 * The request path as RE2 reads it: a Buffer, made once per lookup and only when a regex entry is
 * tried (RE2 converts a string on every call, which costs more than the match). Latin-1 is exact:
 * the parser admits only ASCII in a request target, and normalisation keeps it so.
 */
export class PathBytes {
  readonly #path: string;
  #bytes: Buffer | null = null;
  constructor(path: string) {
    this.#path = path;
  }
  get bytes(): Buffer {
    return (this.#bytes ??= Buffer.from(this.#path, 'latin1'));
  }
}

/**
 * Length of the path part `entry` matched, or -1 when it does not match the method, headers or
 * path. Host conditions are the router's business (it only offers entries whose host matched).
 * `bytes` is needed (non-null) as soon as the router holds regex entries.
 */
export function matchEntry(entry: RouteEntry, method: string, path: string, headers: IncomingHttpHeaders, bytes: PathBytes | null): number {
  if (entry.methods !== null && !entry.methods.includes(method)) return -1;
  for (let i = 0; i < entry.headers.length; i++) {
    if (!headerMatches(entry.headers[i]!, headers[entry.headers[i]!.name])) return -1;
  }
  if (entry.kind === 'prefix') return prefixMatches(entry, path) ? entry.prefix.length : -1;
  if (entry.kind === 'regex') {
    const regex = entry.regex;
    if (regex === null || !path.startsWith(entry.regexPrefix)) return -1;
    // Sticky: the match starts at 0 and lastIndex ends where it stopped (bytes = characters here).
    regex.lastIndex = 0;
    return regex.test(bytes!.bytes) ? regex.lastIndex : -1;
  }
  return 0;
}

/**
 * A plain path matches at a segment boundary: `/files` matches `/files` and `/files/…`, never
 * `/files-v2` or `/files..` (Kong's plain string prefix would); `/files/` matches what starts with it.
 */
function prefixMatches(entry: RouteEntry, path: string): boolean {
  if (!path.startsWith(entry.prefix)) return false;
  return entry.prefixIsDirectory || path.length === entry.prefix.length || path.charCodeAt(entry.prefix.length) === 47; /* '/' */
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
