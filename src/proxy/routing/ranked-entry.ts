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

/** Lists appended to out of order during `fillInBulk`, sorted at its end; null outside one. */
let outOfOrder: Set<RankedEntry[]> | null = null;

/**
 * Inserts `ranked` into `list`, kept in `compareRanked` order: an entry that goes last is
 * appended (checked first), an update adds one entry anywhere (binary search, then a splice).
 * During `fillInBulk` an entry out of order is appended too, and the list sorted once at the end.
 */
export function insertRanked(list: RankedEntry[], ranked: RankedEntry): void {
  if (list.length === 0 || compareRanked(list[list.length - 1]!, ranked) <= 0) {
    list.push(ranked);
    return;
  }
  if (outOfOrder !== null) {
    list.push(ranked);
    outOfOrder.add(list);
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

/**
 * Runs `fill`, which inserts entries (`insertRanked`) in any order, and sorts each list it
 * appended to out of order once at the end: a build files routes in their compilation order,
 * and inserting each in place would move a long list's tail every time. Synchronous, so no
 * other insert can run meanwhile; a `fill` that throws leaves lists unsorted (a build then
 * discards its index).
 */
export function fillInBulk(fill: () => void): void {
  const outer = outOfOrder;
  const lists = new Set<RankedEntry[]>();
  outOfOrder = lists;
  try {
    fill();
  } finally {
    outOfOrder = outer;
  }
  for (const list of lists) list.sort(compareRanked);
}

/** The better of two hits (the one tried first); null counts as no hit. */
export function betterHit(a: RouteHit | null, b: RouteHit | null): RouteHit | null {
  if (a === null) return b;
  if (b === null) return a;
  return compareRanked(b.ranked, a.ranked) < 0 ? b : a;
}
