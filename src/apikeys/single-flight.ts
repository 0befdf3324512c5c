/**
 * Single flight: concurrent calls for the same key share one run of the work. Used by the
 * verifier so that N requests presenting one uncached API key cause one store lookup (or one
 * slow hash, or one remote call), keyed by the key's digest. Nothing is remembered once the work
 * settles: a failure reaches every waiter of that run and the next call starts afresh.
 */

/** A group of in-flight runs, one per key. */
export interface SingleFlight<K, V> {
  /** Runs `work`, or joins the run already in flight for `key`. */
  run(key: K, work: () => Promise<V>): Promise<V>;
  /** Runs in flight now (for metrics and tests). */
  readonly inFlight: number;
}

/** Creates an empty group. */
export function createSingleFlight<K, V>(): SingleFlight<K, V> {
  const running = new Map<K, Promise<V>>();
  return {
    run(key, work) {
      const current = running.get(key);
      if (current !== undefined) return current;
      // Starting from a resolved promise turns a synchronous throw of `work` into a rejection.
      const started = Promise.resolve()
        .then(work)
        .finally(() => running.delete(key));
      running.set(key, started);
      return started;
    },
    get inFlight() {
      return running.size;
    },
  };
}
