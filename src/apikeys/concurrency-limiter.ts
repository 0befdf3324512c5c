/**
 * Caps how many slow-hash verifications (bcrypt, argon2id) run at once, with a bounded FIFO
 * queue for the rest. When the queue is full a caller gets `overloaded` at once, as a value:
 * a flood of random keys then costs a bounded amount of CPU and memory, and the verifier answers
 * it quickly (e.g. 503 or 401) instead of piling up work. SHA-256 verification needs no limiter.
 */

/** The task's value, or `overloaded` when it was refused without running. */
export type LimitedResult<T> = { readonly kind: 'done'; readonly value: T } | { readonly kind: 'overloaded' };

/** Limits, fixed when the limiter is built. */
export interface ConcurrencyLimiterConfig {
  /** Tasks running at once (`api_keys.slow_hash_concurrency`). */
  readonly concurrency: number;
  /** Tasks waiting at most; 0 means no waiting: run now or be overloaded. */
  readonly maxQueue: number;
}

/** A gate in front of slow work; `active` and `queued` are for metrics and tests. */
export interface ConcurrencyLimiter {
  /** Runs `task` when a slot is free; a rejection of `task` rejects the returned promise. */
  run<T>(task: () => Promise<T>): Promise<LimitedResult<T>>;
  readonly active: number;
  readonly queued: number;
}

/** Creates a limiter. Throws for a concurrency below 1 or a negative queue (config errors). */
export function createConcurrencyLimiter(config: ConcurrencyLimiterConfig): ConcurrencyLimiter {
  const { concurrency, maxQueue } = config;
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError('concurrency must be a positive integer');
  if (!Number.isInteger(maxQueue) || maxQueue < 0) throw new RangeError('maxQueue must be a non-negative integer');
  const waiting: Array<() => void> = [];
  let active = 0;

  const release = (): void => {
    const next = waiting.shift();
    if (next === undefined) active -= 1;
    else next(); // the slot passes straight to the next waiter: `active` stays the same
  };

  const acquire = (): Promise<void> | null => {
    if (active < concurrency) {
      active += 1;
      return Promise.resolve();
    }
    if (waiting.length >= maxQueue) return null;
    return new Promise<void>((resolve) => waiting.push(resolve));
  };

  return {
    async run<T>(task: () => Promise<T>): Promise<LimitedResult<T>> {
      const slot = acquire();
      if (slot === null) return { kind: 'overloaded' };
      await slot;
      try {
        return { kind: 'done', value: await task() };
      } finally {
        release();
      }
    },
    get active() {
      return active;
    },
    get queued() {
      return waiting.length;
    },
  };
}
