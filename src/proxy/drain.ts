/**
 * In-flight request accounting for a graceful stop: requests enter and leave; `wait` flips the
 * server into closing mode and resolves once none are left (true) or the timeout passed (false).
 */
/** Counts in-flight requests so shutdown can wait for them. */
export interface Drain {
  readonly closing: boolean;
  readonly inFlight: number;
  enter(): void;
  leave(): void;
  /** Resolves true when in-flight requests reached zero, false on timeout; calls `tick` meanwhile. */
  wait(timeoutMs: number, tick: () => void): Promise<boolean>;
}

/** How often `wait` calls its tick (to close connections that became idle). */
const TICK_MS = 50;

/** Creates an empty drain. */
export function createDrain(): Drain {
  let inFlight = 0;
  let closing = false;
  let onEmpty: (() => void) | null = null;

  return {
    get closing() {
      return closing;
    },
    get inFlight() {
      return inFlight;
    },
    enter() {
      inFlight++;
    },
    leave() {
      inFlight--;
      if (inFlight === 0 && onEmpty !== null) onEmpty();
    },
    wait(timeoutMs, tick) {
      closing = true;
      if (inFlight === 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const settle = (drained: boolean) => {
          clearInterval(ticker);
          clearTimeout(timer);
          onEmpty = null;
          resolve(drained);
        };
        const ticker = setInterval(tick, TICK_MS);
        const timer = setTimeout(settle, timeoutMs, false);
        onEmpty = () => settle(true);
      });
    },
  };
}
