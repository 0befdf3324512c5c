/**
 * The entries of one host class (one exact host, one wildcard pattern, or no host), in the order
 * `compareEntries` tries them: plain prefixes first (the prefix tree, longest first), then regex
 * paths (`regex_priority`, then age), then path-less entries. Regexes and path-less entries are
 * only tried when no plain prefix matched, in rank order; their lists hold only those entries,
 * so a router with many prefix routes and few regexes pays for the regexes only on a miss.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { PathBytes } from '../route-entry.js';
import { firstOf, PrefixTree } from './prefix-tree.js';
import { insertRanked, type RankedEntry, type RouteHit } from './ranked-entry.js';

/** One host class's entries, indexed by path kind. */
export class RouteTable {
  readonly #prefixes = new PrefixTree();
  readonly #regexes: RankedEntry[] = [];
  readonly #anyPath: RankedEntry[] = [];

  add(ranked: RankedEntry): void {
    const kind = ranked.entry.kind;
    if (kind === 'prefix') this.#prefixes.add(ranked);
    else insertRanked(kind === 'regex' ? this.#regexes : this.#anyPath, ranked);
  }

  /** The best entry of this class visible at `version` matching the request, or null. `bytes` is non-null when any regex exists. */
  find(version: number, method: string, path: string, headers: IncomingHttpHeaders, bytes: PathBytes | null): RouteHit | null {
    return (
      this.#prefixes.find(version, method, path, headers, bytes) ??
      firstOf(this.#regexes, version, method, path, headers, bytes) ??
      firstOf(this.#anyPath, version, method, path, headers, bytes)
    );
  }
}
