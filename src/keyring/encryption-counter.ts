/**
 * Counts encryptions per key in memory (the cipher calls `add` on every encryption: a Map
 * increment, nothing more) and hands the counts over to be persisted in batches. `total` is what
 * the database last said plus what this process added since, for the rotation limit.
 */
export interface EncryptionCounter {
  add(keyId: string): void;
  /** Takes the counts gathered since the last call (they are this process's to persist). */
  drain(): Map<string, number>;
  /** Returns drained counts that could not be persisted, so the next flush retries them. */
  restore(counts: ReadonlyMap<string, number>): void;
  /** Sets what the database says a key has (after a flush or a reload). */
  setPersisted(keyId: string, count: number): void;
  total(keyId: string): number;
  /** Called (once per key) when a key's total reaches `limit`. */
  onLimit(limit: number, listener: (keyId: string) => void): void;
}

export function createEncryptionCounter(): EncryptionCounter {
  let pending = new Map<string, number>();
  const persisted = new Map<string, number>();
  const fired = new Set<string>();
  let limit = Infinity;
  let listener: ((keyId: string) => void) | undefined;
  const total = (id: string) => (persisted.get(id) ?? 0) + (pending.get(id) ?? 0);
  const check = (id: string) => {
    if (listener && !fired.has(id) && total(id) >= limit) {
      fired.add(id);
      listener(id);
    }
  };
  return {
    add(keyId) {
      pending.set(keyId, (pending.get(keyId) ?? 0) + 1);
      check(keyId);
    },
    drain() {
      const out = pending;
      pending = new Map();
      for (const [id, n] of out) persisted.set(id, (persisted.get(id) ?? 0) + n);
      return out;
    },
    restore(counts) {
      for (const [id, n] of counts) {
        persisted.set(id, (persisted.get(id) ?? 0) - n);
        pending.set(id, (pending.get(id) ?? 0) + n);
      }
    },
    setPersisted(keyId, count) {
      persisted.set(keyId, count);
      check(keyId);
    },
    total,
    onLimit(max, l) {
      limit = max;
      listener = l;
    },
  };
}
