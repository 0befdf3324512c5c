/**
 * The one cache of verified credentials, for every credential kind (API keys, basic-auth
 * passwords): which presented secrets were verified (positive part) and which are unknown
 * (negative part), each bounded, LRU-evicted and with its own TTL. Entries are found by a keyed
 * digest of what was presented (SHA-256 over a random secret drawn when the cache is built ‖
 * input), never by the plaintext: the cache holds no secret, and no digest that matches the
 * store's unsalted SHA-256 index of external keys, another node's cache, or a precomputed table.
 *
 * The cached value is the verifier's to define; it only has to say which credential (`keyId`:
 * an API key's public id, a basic-auth credential's id) and consumer it belongs to, for purges on
 * revoke, change, delete and consumer deletion, and when the credential expires (an expired one is
 * reported `expired` from its expiry on, even while cached; null for credentials that never do).
 *
 * A lookup that started before a purge must not put stale data back (a deleted credential would
 * then work until the TTL ends): take `epoch()` before the lookup and pass it as `since` to
 * `set`/`setNegative`, which then store nothing if any purge or clear happened in between. Key
 * single-flight groups by the epoch as well, so a request made after a purge never joins a lookup
 * that started before it.
 */
import { hash, randomBytes as cryptoRandomBytes } from 'node:crypto';
import { createTtlLruMap } from './ttl-lru-map.js';

/** What every cached value carries; the verifier adds what it needs (issuer, service, hash …). */
export interface CachedKeyIdentity {
  /** The credential's id: an API key's public id, a basic-auth credential's id. */
  readonly keyId: string;
  readonly consumerId: string | null;
  /** When the credential itself expires, in ms since the epoch; null for never. */
  readonly expiresAt: number | null;
}

/** A keyed digest of a presented secret; the only form in which the cache sees secrets. */
export type KeyDigest = string & { readonly __brand: 'KeyDigest' };

/** The answer of the cache for one digest. */
export type CacheLookup<V> =
  | { readonly kind: 'hit'; readonly value: V }
  /** Verified once, but the key's own expiry has passed. */
  | { readonly kind: 'expired'; readonly value: V }
  /** Recently looked up and unknown. */
  | { readonly kind: 'negative' }
  | { readonly kind: 'miss' };

/** Options of one write. */
export interface CacheWriteOptions {
  /** Overrides the configured TTL (e.g. a remote issuer's `cache_ttl`); 0 stores nothing. */
  readonly ttlSeconds?: number;
  /** The `epoch()` taken before the lookup; nothing is stored if a purge happened since. */
  readonly since?: number;
}

/** The verifier's cache of verified and unknown keys, by keyed digest. */
export interface VerificationCache<V extends CachedKeyIdentity> {
  /**
   * The keyed digest of a presented secret: SHA-256 of a per-cache secret ‖ input, its 32 bytes
   * as a 32-character latin1 ('binary') string (48 bytes of heap, against 64 for base64url): an opaque map
   * key, never printed.
   */
  digest(key: string): KeyDigest;
  /** The cached answer; an entry past its cache TTL is a miss, a key past its own expiry `expired`. */
  get(digest: KeyDigest): CacheLookup<V>;
  /** Caches a verified key; false when nothing was stored (TTL 0 or a purge since `since`). */
  set(digest: KeyDigest, value: V, options?: CacheWriteOptions): boolean;
  /** Caches an unknown key, which also drops any positive entry for it. */
  setNegative(digest: KeyDigest, options?: CacheWriteOptions): boolean;
  /** Increases on every purge and clear. */
  epoch(): number;
  /** Drops the entries of one credential (revoked, regenerated, changed, deleted); returns how many. */
  deleteByKeyId(keyId: string): number;
  /** Drops the entries of every credential of one consumer (consumer changed or deleted). */
  deleteByConsumerId(consumerId: string): number;
  /** Forgets unknown secrets: call when credentials are created or imported, so they work at once. */
  clearNegative(): void;
  clear(): void;
  readonly size: number;
  readonly negativeSize: number;
  /** Lookups so far by answer (for metrics): plain counts, cheap on the hot path. */
  stats(): CacheStats;
}

export interface CacheStats {
  readonly hit: number;
  readonly miss: number;
  readonly negative: number;
  readonly expired: number;
}

/** What the cache needs from outside; both are injectable for tests. */
export interface VerificationCacheDeps {
  readonly now?: () => number;
  /** Source of the digest secret; the CSPRNG unless a test fixes it. */
  readonly randomBytes?: (size: number) => Uint8Array;
}

/** Limits of one cache (TTLs in seconds); the `api_keys` settings have these names. */
export interface VerificationCacheConfig {
  readonly cache_ttl: number;
  readonly neg_cache_ttl: number;
  readonly cache_size: number;
  readonly neg_cache_size: number;
}

/** Creates an empty cache with a fresh digest key. */
export function createVerificationCache<V extends CachedKeyIdentity>(deps: VerificationCacheDeps, config: VerificationCacheConfig): VerificationCache<V> {
  const now = deps.now ?? Date.now;
  // SHA-256 over a per-cache random secret ‖ key: a keyed digest (a cache index, not a MAC anyone
  // verifies), three times cheaper than an HMAC object per call on the hot path.
  const digestSecret = Buffer.from((deps.randomBytes ?? cryptoRandomBytes)(32)).toString('hex');
  // One digest per credential is the rule (a Set only for a key whose old and new values are both
  // cached during a grace period): a Set per entry would cost ~150 bytes of every cached key.
  const byKeyId: DigestIndex = new Map();
  const byConsumerId: DigestIndex = new Map();
  let generation = 0;

  const positive = createTtlLruMap<KeyDigest, V>({ now, onRemove: (digest, value) => unindex(digest, value) }, { maxSize: config.cache_size });
  const negative = createTtlLruMap<KeyDigest, true>({ now }, { maxSize: config.neg_cache_size });

  function index(digest: KeyDigest, value: V): void {
    addTo(byKeyId, value.keyId, digest);
    if (value.consumerId !== null) addTo(byConsumerId, value.consumerId, digest);
  }
  function unindex(digest: KeyDigest, value: V): void {
    removeFrom(byKeyId, value.keyId, digest);
    if (value.consumerId !== null) removeFrom(byConsumerId, value.consumerId, digest);
  }
  function purge(digests: KeyDigest | Set<KeyDigest> | undefined): number {
    generation += 1;
    if (digests === undefined) return 0;
    let removed = 0;
    for (const digest of typeof digests === 'string' ? [digests] : [...digests]) if (positive.delete(digest)) removed += 1;
    return removed;
  }
  function expiryFor(options: CacheWriteOptions | undefined, defaultSeconds: number): number | null {
    if (options?.since !== undefined && options.since !== generation) return null;
    const seconds = options?.ttlSeconds ?? defaultSeconds;
    return seconds > 0 ? now() + seconds * 1000 : null;
  }

  const stats = { hit: 0, miss: 0, negative: 0, expired: 0 };

  return {
    digest: (key) => hash('sha256', digestSecret + key, 'binary') as KeyDigest,
    get(digest) {
      const value = positive.get(digest);
      if (value !== undefined) {
        if (value.expiresAt !== null && now() >= value.expiresAt) {
          stats.expired++;
          return { kind: 'expired', value };
        }
        stats.hit++;
        return { kind: 'hit', value };
      }
      if (negative.get(digest)) {
        stats.negative++;
        return { kind: 'negative' };
      }
      stats.miss++;
      return { kind: 'miss' };
    },
    stats: () => ({ ...stats }),
    set(digest, value, options) {
      const expiresAt = expiryFor(options, config.cache_ttl);
      if (expiresAt === null) return false;
      negative.delete(digest);
      positive.set(digest, value, expiresAt);
      index(digest, value);
      return true;
    },
    setNegative(digest, options) {
      const expiresAt = expiryFor(options, config.neg_cache_ttl);
      if (expiresAt === null) return false;
      positive.delete(digest);
      negative.set(digest, true, expiresAt);
      return true;
    },
    epoch: () => generation,
    deleteByKeyId: (keyId) => purge(byKeyId.get(keyId)),
    deleteByConsumerId: (consumerId) => purge(byConsumerId.get(consumerId)),
    clearNegative() {
      generation += 1;
      negative.clear();
    },
    clear() {
      generation += 1;
      positive.clear();
      negative.clear();
      byKeyId.clear();
      byConsumerId.clear();
    },
    get size() {
      return positive.size;
    },
    get negativeSize() {
      return negative.size;
    },
  };
}

/** Digests by credential or consumer id: one digest as is, several in a Set. */
type DigestIndex = Map<string, KeyDigest | Set<KeyDigest>>;

function addTo(index: DigestIndex, id: string, digest: KeyDigest): void {
  const digests = index.get(id);
  if (digests === undefined || digests === digest) index.set(id, digest);
  else if (typeof digests === 'string') index.set(id, new Set([digests, digest]));
  else digests.add(digest);
}

function removeFrom(index: DigestIndex, id: string, digest: KeyDigest): void {
  const digests = index.get(id);
  if (digests === undefined) return;
  if (typeof digests === 'string') {
    if (digests === digest) index.delete(id);
    return;
  }
  digests.delete(digest);
  if (digests.size === 1) index.set(id, digests.values().next().value!);
}
