/**
 * A routing entry with what orders it and when it exists. The order is `compareEntries` (a total
 * order between entries of different routes: it ends on the route id), ties — only ever paths of
 * one route — broken by `ordinal`, the entry's compilation order. Comparing the keys directly,
 * rather than by a rank from one global sort, lets an update insert one route's entries into the
 * lists (`prefix-tree.ts`, `route-table.ts`, the host indexes) without renumbering the others.
 *
 * Versions make the indexes persistent for the routers built on them (`route-index.ts`): an entry
 * is visible to a router of version v when `added <= v < removed`. An update never edits a list
 * in a way an older router could see: it inserts entries added at the new version and marks the
 * replaced ones removed from it, so a request that began on the older router keeps its answers.
 */
import { compareEntries, type RouteEntry } from '../route-entry.js';

export interface RankedEntry {
  readonly entry: RouteEntry;
  /** Compilation order within its route (the build uses its index among all entries): breaks `compareEntries` ties. */
  readonly ordinal: number;
  /** The index version from which this entry is visible (0: from the build). */
  readonly added: number;
  /** The index version from which it is gone; Infinity while its route is unchanged. Set once. */
  removed: number;
}

/** A matching entry and the length of the path part it matched (what `strip_path` removes). */
export interface RouteHit {
  readonly ranked: RankedEntry;
  readonly length: number;
}

/** The order the router tries entries in: negative when `a` goes first. */
export function compareRanked(a: RankedEntry, b: RankedEntry): number {
  return compareEntries(a.entry, b.entry) || a.ordinal - b.ordinal;
}

/** True when a router of `version` sees `ranked`. */
export function visibleAt(ranked: RankedEntry, version: number): boolean {
  return ranked.added <= version && version < ranked.removed;
}

/**
 * `entries` (in compilation order) as ranked entries visible from `added`, sorted as the router
 * tries them; each with `index`, its position in `entries` (to find what the caller keeps beside it).
 */
export function rankEntries(entries: readonly RouteEntry[], added = 0): (RankedEntry & { readonly index: number })[] {
  const ranked = entries.map((entry, index) => ({ entry, ordinal: index, added, removed: Infinity, index }));
  return ranked.sort(compareRanked);
}

/**
 * Inserts `ranked` into `list`, kept in `compareRanked` order: a build adds entries in that order
 * (an append, checked first), an update adds one entry anywhere (binary search, then a splice).
 */
export function insertRanked(list: RankedEntry[], ranked: RankedEntry): void {
  if (list.length === 0 || compareRanked(list[list.length - 1]!, ranked) <= 0) {
    list.push(ranked);
    return;
  }
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareRanked(list[mid]!, ranked) <= 0) low = mid + 1;
    else high = mid;
  }
  list.splice(low, 0, ranked);
}

/** The better of two hits (the one tried first); null counts as no hit. */
export function betterHit(a: RouteHit | null, b: RouteHit | null): RouteHit | null {
  if (a === null) return b;
  if (b === null) return a;
  return compareRanked(b.ranked, a.ranked) < 0 ? b : a;
}
