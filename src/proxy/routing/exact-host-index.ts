/**
 * Routes naming hosts exactly: one route table per host, found with one Map lookup. A host with a
 * port (`example.com:8080`) only matches that port; a host without one matches any port. So the
 * table of `example.com:8080` also holds the entries of `example.com` (a port-specific entry
 * ranks first at the same path rank, `compareEntries`), and a request for `example.com:9090`,
 * with no table of its own, uses the table of `example.com`.
 */
import type { RankedEntry } from './ranked-entry.js';
import { RouteTable } from './route-table.js';

/** `host:port` → `host` (IPv6 literals keep their brackets); a host without port is returned as is. */
export function portless(host: string): string {
  const colon = host.lastIndexOf(':');
  return colon === -1 || colon < host.lastIndexOf(']') ? host : host.slice(0, colon);
}

/** The exact-host tables; `byHost` maps each lower-cased host (maybe with port) to its entries. */
export class ExactHostIndex {
  readonly #tables = new Map<string, RouteTable>();

  constructor(byHost: ReadonlyMap<string, readonly RankedEntry[]>) {
    for (const [host, entries] of byHost) {
      const table = new RouteTable();
      for (const ranked of entries) table.add(ranked);
      const bare = portless(host);
      if (bare !== host) for (const ranked of byHost.get(bare) ?? []) table.add(ranked);
      this.#tables.set(host, table);
    }
  }

  get size(): number {
    return this.#tables.size;
  }

  /** The table for a request's lower-cased host (`withPort`, and `hostname` = `portless(withPort)`), if any. */
  find(withPort: string, hostname: string): RouteTable | undefined {
    return this.#tables.get(withPort) ?? (hostname !== withPort ? this.#tables.get(hostname) : undefined);
  }
}
