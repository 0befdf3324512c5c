/**
 * The open WebSocket tunnels whose API key key-auth watches (`close_on_revoke`), found by what can
 * end that key's validity: the key itself (revoked, deleted), its consumer (deleted: its keys go
 * by a database cascade, with no event per key) and the service it is scoped to (deleted: the
 * same cascade). One index holds all three, so adding and removing a tunnel is one place.
 */
import type { WatchedKey } from '../../plugins/key-auth/watched-key.js';

/** What a tunnel can be found by. */
export type WatchScope = 'key' | 'consumer' | 'service';

/** The lookups the revocation watcher needs. */
export interface WatchedTunnelsView<T> {
  /** The tunnels watched under `scope` `id`: a copy, so closing them while reading is safe. */
  find(scope: WatchScope, id: string): T[];
  /** True when a tunnel is watched under `scope` `id` (no copy). */
  has(scope: WatchScope, id: string): boolean;
}

export class WatchedTunnels<T> implements WatchedTunnelsView<T> {
  readonly #index = new Map<string, Set<T>>();
  readonly #tags = new Map<T, readonly string[]>();

  /** Watches `tunnel` until `remove`. */
  add(tunnel: T, key: WatchedKey): void {
    const tags = [tag('key', key.keyId)];
    if (key.consumerId !== null) tags.push(tag('consumer', key.consumerId));
    if (key.serviceId !== null) tags.push(tag('service', key.serviceId));
    this.#tags.set(tunnel, tags);
    for (const t of tags) {
      const set = this.#index.get(t);
      if (set === undefined) this.#index.set(t, new Set([tunnel]));
      else set.add(tunnel);
    }
  }

  /** Stops watching `tunnel`; nothing when it was not watched. */
  remove(tunnel: T): void {
    const tags = this.#tags.get(tunnel);
    if (tags === undefined) return;
    this.#tags.delete(tunnel);
    for (const t of tags) {
      const set = this.#index.get(t);
      set?.delete(tunnel);
      if (set?.size === 0) this.#index.delete(t);
    }
  }

  find(scope: WatchScope, id: string): T[] {
    const set = this.#index.get(tag(scope, id));
    return set === undefined ? [] : [...set];
  }

  has(scope: WatchScope, id: string): boolean {
    return this.#index.has(tag(scope, id));
  }

  /** Number of watched tunnels. */
  get size(): number {
    return this.#tags.size;
  }
}

const tag = (scope: WatchScope, id: string) => `${scope}\u0000${id}`;
