/**
 * The plain path prefixes of one host class, in a tree keyed by path segment, so a lookup costs
 * the depth of the request path, not the number of routes.
 *
 * A plain prefix matches at a segment boundary (`prefixMatches` in `route-entry.ts`): `/api/v1`
 * matches `/api/v1` and `/api/v1/…`, and `/api/v1/` (a directory) matches what starts with it.
 * Split at '/', that is: the prefix's segments (`['', 'api', 'v1']`) begin the path's segments, and
 * for a directory (its segments without the trailing '/') the path has at least one segment more.
 * So a node, reached by a run of segments, holds the prefixes that end there (`plain`) and the
 * directory prefixes one '/' longer (`dir`).
 *
 * Walking the request path down the tree visits every node whose prefix could match; the deepest
 * node holds the longest prefixes, and within a node a directory is one character longer than a
 * plain prefix. So trying the visited nodes from the deepest up (dir, then plain) tries the
 * prefixes longest first, as `compareEntries` does; each list is in `compareRanked` order, so its first
 * visible entry whose methods and headers match is the one the linear router found first.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { matchEntry, type PathBytes } from '../route-entry.js';
import { insertRanked, visibleAt, type RankedEntry, type RouteHit } from './ranked-entry.js';

interface TreeNode {
  children: Map<string, TreeNode> | null;
  /** Prefixes equal to this node's path (no trailing '/'): match when the path ends here or goes on. */
  plain: RankedEntry[] | null;
  /** Prefixes equal to this node's path + '/': match only when the path goes on below this node. */
  dir: RankedEntry[] | null;
}

/** Plain-prefix entries of one host class; `find` walks the request path once. */
export class PrefixTree {
  readonly #root: TreeNode = { children: null, plain: null, dir: null };
  /** Nodes the path went through (not the last one), reused by every lookup: `find` is synchronous. */
  readonly #trail: TreeNode[] = [];

  /** Adds a plain-prefix entry (kind 'prefix'); lists stay in `compareRanked` order whatever the order of adds. Nodes are never removed. */
  add(ranked: RankedEntry): void {
    const isDirectory = ranked.entry.prefixIsDirectory;
    const prefix = isDirectory ? ranked.entry.prefix.slice(0, -1) : ranked.entry.prefix;
    let node = this.#root;
    // One node per segment of the prefix (the text between slashes, '' before the first one).
    for (let start = 0; ;) {
      const slash = prefix.indexOf('/', start);
      const segment = slash === -1 ? prefix.slice(start) : prefix.slice(start, slash);
      node.children ??= new Map();
      let child = node.children.get(segment);
      if (child === undefined) node.children.set(segment, (child = { children: null, plain: null, dir: null }));
      node = child;
      if (slash === -1) break;
      start = slash + 1;
    }
    // A new list is made to its size: most hold one entry (an empty list would grow to room for 17).
    if (isDirectory) {
      if (node.dir === null) node.dir = [ranked];
      else insertRanked(node.dir, ranked);
    } else if (node.plain === null) node.plain = [ranked];
    else insertRanked(node.plain, ranked);
  }

  /** The best plain-prefix entry visible at `version` matching the path, method and headers, or null. */
  find(version: number, method: string, path: string, headers: IncomingHttpHeaders, bytes: PathBytes | null): RouteHit | null {
    const trail = this.#trail;
    let depth = 0;
    let node = this.#root;
    let last: TreeNode | null = null; // the node where the path ends exactly, if the tree reaches it
    for (let start = 0; ;) {
      const slash = path.indexOf('/', start);
      const child = node.children?.get(slash === -1 ? path.slice(start) : path.slice(start, slash));
      if (child === undefined) break;
      node = child;
      if (slash === -1) {
        last = child;
        break;
      }
      trail[depth++] = child;
      start = slash + 1;
    }
    if (last !== null && last.plain !== null) {
      const hit = firstOf(last.plain, version, method, path, headers, bytes);
      if (hit !== null) return hit;
    }
    for (let i = depth - 1; i >= 0; i--) {
      const passed = trail[i]!;
      const hit =
        (passed.dir !== null ? firstOf(passed.dir, version, method, path, headers, bytes) : null) ??
        (passed.plain !== null ? firstOf(passed.plain, version, method, path, headers, bytes) : null);
      if (hit !== null) return hit;
    }
    return null;
  }
}

/** The first entry of an ordered list visible at `version` whose conditions match (`matchEntry` also rechecks the prefix). */
export function firstOf(
  list: readonly RankedEntry[],
  version: number,
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  bytes: PathBytes | null,
): RouteHit | null {
  for (let i = 0; i < list.length; i++) {
    const ranked = list[i]!;
    if (!visibleAt(ranked, version)) continue;
    const length = matchEntry(ranked.entry, method, path, headers, bytes);
    if (length >= 0) return { ranked, length };
  }
  return null;
}
