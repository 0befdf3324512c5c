/**
 * A bounded map whose entries expire at a given time and whose least recently used entry is
 * evicted when it is full. Expired entries are dropped when read or evicted (no timers). The
 * building block of the verification cache's positive and negative parts, and of the basic-auth
 * failure limiter's counters.
 *
 * Recency is a doubly linked list beside the Map, not the Map's insertion order: re-inserting a
 * key on every read (delete + set) leaves tombstones in V8's hash table that make one hot key
 * cost 50–270 µs per read at 10k–100k entries (measured on Node 20), and one busy client
 * presenting the same key is the common case. With the list, a read is a Map lookup and four
 * pointer updates.
 *
 * Expiry times are kept as whole ms after a base time, not since the epoch: a small integer is
 * stored in the node itself (a V8 Smi), where an epoch time in ms, or any result of arithmetic on
 * one, is a separate 16-byte number object per entry (a million cached keys: 16 MB). One such
 * object in any node would turn the field into one for every node (V8 tracks a field's
 * representation per object shape), so only small integers are ever stored. An expiry that does
 * not fit (over 2^30 ms, 12 days, after the base) moves the base to now and shifts every entry,
 * at most once an hour (O(entries), amortized); one still too far (more than 12 days ahead, or
 * set within the hour after a move) is kept as the latest that fits, so such an entry may leave
 * early, which a cache allows.
 */

/** The largest stored expiry: integers below 2^30 are Smis on every V8 build (31-bit with pointer compression). */
const LATEST = 2 ** 30 - 1;
/** The least time between two moves of the base. */
const MOVE_AFTER = 3_600_000;

/** What the map needs from outside. */
export interface TtlLruMapDeps<K, V> {
  /** Milliseconds since the epoch; injectable so tests move time by hand. */
  readonly now: () => number;
  /** Told when an entry leaves by eviction, expiry, `delete` or being overwritten (not `clear`). */
  readonly onRemove?: (key: K, value: V) => void;
}

/** Limits, fixed when the map is built. */
export interface TtlLruMapConfig {
  /** Most entries held; the least recently used goes first. */
  readonly maxSize: number;
}

/** A bounded, expiring, least-recently-used map. */
export interface TtlLruMap<K, V> {
  /** The live value, refreshed as most recently used; undefined when absent or expired. */
  get(key: K): V | undefined;
  /** Stores `value` until `expiresAt` (ms), evicting the least recently used entry if full. */
  set(key: K, value: V, expiresAt: number): void;
  delete(key: K): boolean;
  /** Empties the map without calling `onRemove`. */
  clear(): void;
  readonly size: number;
}

interface Node<K, V> {
  readonly key: K;
  value: V;
  /** When it expires, in ms after the map's base time. */
  expiresAt: number;
  /** Towards the least recently used end. */
  older: Node<K, V> | null;
  /** Towards the most recently used end. */
  newer: Node<K, V> | null;
}

/** Creates an empty map. Throws for a size below 1 (a configuration error). */
export function createTtlLruMap<K, V>(deps: TtlLruMapDeps<K, V>, config: TtlLruMapConfig): TtlLruMap<K, V> {
  if (!Number.isInteger(config.maxSize) || config.maxSize < 1) throw new RangeError('maxSize must be a positive integer');
  const { now, onRemove } = deps;
  const { maxSize } = config;
  const nodes = new Map<K, Node<K, V>>();
  let oldest: Node<K, V> | null = null;
  let newest: Node<K, V> | null = null;
  let base = now();

  /** `expiresAt` (ms since the epoch) as the map stores it: a small integer. */
  const relative = (expiresAt: number): number => {
    const shift = now() - base;
    if (expiresAt - base > LATEST && shift >= MOVE_AFTER) {
      base += shift;
      for (const node of nodes.values()) node.expiresAt = Math.max(node.expiresAt - shift, -LATEST) | 0;
    }
    return Math.min(Math.max(Math.ceil(expiresAt - base), -LATEST), LATEST) | 0;
  };

  const unlink = (node: Node<K, V>): void => {
    if (node.older) node.older.newer = node.newer;
    else oldest = node.newer;
    if (node.newer) node.newer.older = node.older;
    else newest = node.older;
    node.older = null;
    node.newer = null;
  };
  const pushNewest = (node: Node<K, V>): void => {
    node.older = newest;
    if (newest) newest.newer = node;
    else oldest = node;
    newest = node;
  };
  const remove = (node: Node<K, V>): void => {
    unlink(node);
    nodes.delete(node.key);
    onRemove?.(node.key, node.value);
  };

  return {
    get(key) {
      const node = nodes.get(key);
      if (node === undefined) return undefined;
      if (now() - base >= node.expiresAt) {
        remove(node);
        return undefined;
      }
      if (node !== newest) {
        unlink(node);
        pushNewest(node);
      }
      return node.value;
    },
    set(key, value, expiresAt) {
      const existing = nodes.get(key);
      if (existing !== undefined) {
        onRemove?.(key, existing.value);
        existing.value = value;
        existing.expiresAt = relative(expiresAt);
        unlink(existing);
        pushNewest(existing);
        return;
      }
      while (nodes.size >= maxSize && oldest !== null) remove(oldest);
      const node: Node<K, V> = { key, value, expiresAt: relative(expiresAt), older: null, newer: null };
      nodes.set(key, node);
      pushNewest(node);
    },
    delete(key) {
      const node = nodes.get(key);
      if (node === undefined) return false;
      remove(node);
      return true;
    },
    clear() {
      nodes.clear();
      oldest = null;
      newest = null;
    },
    get size() {
      return nodes.size;
    },
  };
}
