/**
 * Routes with wildcard hosts: `*.example.com` matches any host ending with `.example.com` (at
 * least one character before it), `example.*` any host starting with `example.` (at least one
 * after). One route table per pattern (stem, side, port), found by looking the request host's
 * suffixes (for leading wildcards) and prefixes (trailing) up in a Map — only at the lengths some
 * stem has, so a lookup costs the number of distinct stem lengths, not the number of routes.
 *
 * The linear router tried every wildcard route in one list sorted by `compareEntries`, whatever
 * pattern matched; here each matching pattern's table gives its best entry and the one
 * `compareRanked` puts first wins, which is the same entry. Tables and stems are only ever added.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { PathBytes } from '../route-entry.js';
import { betterHit, type RankedEntry, type RouteHit } from './ranked-entry.js';
import { RouteTable } from './route-table.js';
import { portless } from './exact-host-index.js';

/** The tables of one stem: a pattern without port matches any port. */
interface StemTables {
  anyPort: RouteTable | null;
  byPort: Map<string, RouteTable> | null;
}

/** One side of the index (leading `*.` or trailing `.*`): stems by string, and the lengths they have. */
interface Side {
  readonly stems: Map<string, StemTables>;
  /** Distinct stem lengths, ascending. */
  lengths: number[];
}

/** The wildcard-host tables of a router. */
export class WildcardHostIndex {
  readonly #leading: Side = { stems: new Map(), lengths: [] };
  readonly #trailing: Side = { stems: new Map(), lengths: [] };

  /** Files `ranked` under a lower-cased wildcard `pattern` (`*.example.com`, `example.*`, either with `:port`). */
  add(pattern: string, ranked: RankedEntry): void {
    const host = portless(pattern);
    const port = host === pattern ? null : pattern.slice(host.length + 1);
    const leading = host.startsWith('*.');
    const side = leading ? this.#leading : this.#trailing;
    const stem = leading ? host.slice(1) : host.slice(0, -1);
    let tables = side.stems.get(stem);
    if (tables === undefined) {
      side.stems.set(stem, (tables = { anyPort: null, byPort: null }));
      if (!side.lengths.includes(stem.length)) side.lengths = [...side.lengths, stem.length].sort((a, b) => a - b);
    }
    let table: RouteTable | undefined;
    if (port === null) table = tables.anyPort ??= new RouteTable();
    else {
      tables.byPort ??= new Map();
      table = tables.byPort.get(port);
      if (table === undefined) tables.byPort.set(port, (table = new RouteTable()));
    }
    table.add(ranked);
  }

  /** The best wildcard entry visible at `version` for the request's lower-cased `hostname` and `port` ('' when none), or null. */
  find(version: number, hostname: string, port: string, method: string, path: string, headers: IncomingHttpHeaders, bytes: PathBytes | null): RouteHit | null {
    let best: RouteHit | null = null;
    const leading = this.#leading;
    for (let i = 0; i < leading.lengths.length && leading.lengths[i]! < hostname.length; i++) {
      const tables = leading.stems.get(hostname.slice(hostname.length - leading.lengths[i]!));
      if (tables !== undefined) best = betterHit(best, findIn(tables, version, port, method, path, headers, bytes));
    }
    const trailing = this.#trailing;
    for (let i = 0; i < trailing.lengths.length && trailing.lengths[i]! < hostname.length; i++) {
      const tables = trailing.stems.get(hostname.slice(0, trailing.lengths[i]!));
      if (tables !== undefined) best = betterHit(best, findIn(tables, version, port, method, path, headers, bytes));
    }
    return best;
  }
}

function findIn(
  tables: StemTables,
  version: number,
  port: string,
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  bytes: PathBytes | null,
): RouteHit | null {
  const anyPort = tables.anyPort !== null ? tables.anyPort.find(version, method, path, headers, bytes) : null;
  const table = tables.byPort?.get(port);
  return table === undefined ? anyPort : betterHit(anyPort, table.find(version, method, path, headers, bytes));
}
