/** Test helper for the routing indexes (`src/proxy/routing/`), which take ranked entries one by one. */
import type { RouteEntry } from '../route-entry.js';
import { compareRanked, type RankedEntry } from '../routing/ranked-entry.js';

/**
 * `entries` (in compilation order) as ranked entries visible from `added`, sorted as the router
 * tries them; each with `index`, its position in `entries` (to find what the caller keeps beside it).
 */
export function rankEntries(entries: readonly RouteEntry[], added = 0): (RankedEntry & { readonly index: number })[] {
  const ranked = entries.map((entry, index) => ({ entry, ordinal: index, added, removed: Infinity, index }));
  return ranked.sort(compareRanked);
}
