/**
 * The owners named in an import file, resolved by id or name once and locked for the import's
 * transaction (as a key creation locks them: a concurrent delete waits instead of leaving keys
 * without an owner), and the per-consumer key limit (`api_keys.max_per_consumer`) counted across
 * the file. Bounded memory: an LRU of resolved references, and consumer counts forgotten (re-read from the
 * store) once they reach a bound.
 */
import type { Store } from '../../store/store.js';
import { createTtlLruMap } from '../../credentials/ttl-lru-map.js';

/** Distinct owner references remembered; a file naming more re-resolves the evicted ones. */
const REMEMBERED_OWNERS = 10_000;

export interface ImportOwners {
  /** The id of the service or consumer `ref` names (id, name or username); null when none does. */
  resolve(table: 'services' | 'consumers', ref: string): Promise<string | null>;
  /** Counts one more key for `consumerId`; false when that passes `max_per_consumer`. */
  takeSlot(consumerId: string): Promise<boolean>;
  /** Consumers whose counts are held in memory. */
  countedConsumers(): number;
  /** Forgets the counts: call only when every key counted is in the store, which then holds them. */
  forgetCounts(): void;
}

export function createImportOwners(deps: { readonly store: Store; readonly maxPerConsumer: number; readonly nowSeconds: () => number }): ImportOwners {
  const { store } = deps;
  const resolved = createTtlLruMap<string, string | null>({ now: () => 0 }, { maxSize: REMEMBERED_OWNERS });
  /** Active keys per consumer: stored (read once) plus those of this import counted since. */
  let counts = new Map<string, number>();

  return {
    async resolve(table, ref) {
      const cacheKey = `${table}:${ref}`;
      const known = resolved.get(cacheKey);
      if (known !== undefined) return known;
      const dao = table === 'services' ? store.services : store.consumers;
      const found = await dao.get(ref);
      const id = found && (await store.apiKeys.lockOwner(table, found.id)) ? found.id : null;
      resolved.set(cacheKey, id, Infinity);
      return id;
    },
    async takeSlot(consumerId) {
      if (deps.maxPerConsumer === 0) return true;
      const active = counts.get(consumerId) ?? (await store.apiKeys.countActive({ consumer_id: consumerId }, deps.nowSeconds()));
      if (active >= deps.maxPerConsumer) return false;
      counts.set(consumerId, active + 1);
      return true;
    },
    countedConsumers() {
      return counts.size;
    },
    forgetCounts() {
      counts = new Map();
    },
  };
}
