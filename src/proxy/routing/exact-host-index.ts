/**
 * Routes naming hosts exactly: one route table per host, found with one Map lookup. A host with a
 * port (`example.com:8080`) only matches that port; a host without one matches any port. So the
 * table of `example.com:8080` also holds the entries of `example.com` (a port-specific entry
 * ranks first at the same path rank, `compareEntries`), and a request for `example.com:9090`,
 * with no table of its own, uses the table of `example.com`.
 *
 * Entries are only ever added (a removed route's entries stay, marked, until the next full build):
 * a table made for `example.com:8080` after `example.com` has entries starts with all of them, so
 * an older router that finds the new table sees exactly what the bare host's table would give it.
 */
import type { RankedEntry } from './ranked-entry.js';
import { RouteTable } from './route-table.js';

/** `host:port` → `host` (IPv6 literals keep their brackets); a host without port is returned as is. */
export function portless(host: string): string {
  const colon = host.lastIndexOf(':');
  return colon === -1 || colon < host.lastIndexOf(']') ? host : host.slice(0, colon);
}

/** The exact-host tables, filled by `add`. */
export class ExactHostIndex {
  readonly #tables = new Map<string, RouteTable>();
  /** Per host without port: the entries filed under it (copied into a port table made later), and its port hosts. */
  readonly #bare = new Map<string, { entries: RankedEntry[]; withPorts: string[] }>();

  get size(): number {
    return this.#tables.size;
  }

  /** Files `ranked` under a lower-cased `host` (maybe with port); a host without port also feeds its port tables. */
  add(host: string, ranked: RankedEntry): void {
    this.#tableOf(host).add(ranked);
    const bare = portless(host);
    if (bare !== host) return;
    const own = this.#bareOf(host);
    own.entries.push(ranked);
    for (const withPort of own.withPorts) this.#tables.get(withPort)!.add(ranked);
  }

  /** The table for a request's lower-cased host (`withPort`, and `hostname` = `portless(withPort)`), if any. */
  find(withPort: string, hostname: string): RouteTable | undefined {
    return this.#tables.get(withPort) ?? (hostname !== withPort ? this.#tables.get(hostname) : undefined);
  }

  #tableOf(host: string): RouteTable {
    let table = this.#tables.get(host);
    if (table !== undefined) return table;
    this.#tables.set(host, (table = new RouteTable()));
    const bare = portless(host);
    if (bare !== host) {
      const own = this.#bareOf(bare);
      own.withPorts.push(host);
      for (const ranked of own.entries) table.add(ranked);
    }
    return table;
  }

  #bareOf(host: string): { entries: RankedEntry[]; withPorts: string[] } {
    let own = this.#bare.get(host);
    if (own === undefined) this.#bare.set(host, (own = { entries: [], withPorts: [] }));
    return own;
  }
}
