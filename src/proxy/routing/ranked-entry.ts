/**
 * A routing entry with its rank: its place in one total order of every entry of a router, sorted
 * once by `compareEntries` (stable, so entries that compare equal — only ever paths of the same
 * route — keep their compilation order). The indexes (`prefix-tree.ts`, `route-table.ts`, the host
 * indexes) keep their lists in rank order, and the router compares candidates from several lists
 * (wildcard hosts) by rank alone: the same winner the old single sorted list gave.
 */
import { compareEntries, type RouteEntry } from '../route-entry.js';

export interface RankedEntry {
  readonly entry: RouteEntry;
  /** Lower is tried first. */
  readonly rank: number;
}

/** A matching entry and the length of the path part it matched (what `strip_path` removes). */
export interface RouteHit {
  readonly ranked: RankedEntry;
  readonly length: number;
}

/**
 * Ranks `entries` (in compilation order) by `compareEntries`, ties by that order. The answer is in
 * rank order, each with `index`, its position in `entries` (to find what the caller keeps beside it).
 */
export function rankEntries(entries: readonly RouteEntry[]): (RankedEntry & { readonly index: number })[] {
  const order = Array.from(entries.keys());
  order.sort((a, b) => compareEntries(entries[a]!, entries[b]!) || a - b);
  return order.map((index, rank) => ({ entry: entries[index]!, rank, index }));
}

/**
 * Inserts `ranked` into `list`, kept in rank order (binary search): a build adds entries in rank
 * order (an append), and a later incremental update can add one entry anywhere in O(log n).
 */
export function insertByRank(list: RankedEntry[], ranked: RankedEntry): void {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (list[mid]!.rank < ranked.rank) low = mid + 1;
    else high = mid;
  }
  if (low === list.length) list.push(ranked);
  else list.splice(low, 0, ranked);
}

/** The better (lower-ranked) of two hits; null counts as no hit. */
export function betterHit(a: RouteHit | null, b: RouteHit | null): RouteHit | null {
  if (a === null) return b;
  if (b === null) return a;
  return b.ranked.rank < a.ranked.rank ? b : a;
}
