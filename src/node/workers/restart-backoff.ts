/**
 * When a dead worker is replaced. A worker that served for a while and died is replaced at once
 * (a crash is rare; the node is short of a core meanwhile); one that dies soon after its start is
 * probably crashing at start (a bad plugin config, a broken disk) and would spin the CPU, so each
 * such quick death doubles the delay, up to a ceiling. Serving `stableAfterMs` resets it.
 */
export interface RestartBackoffOptions {
  /** A worker that lived at least this long died of something else than its start (ms). */
  readonly stableAfterMs?: number;
  readonly initialDelayMs?: number;
  readonly maxDelayMs?: number;
}

export interface RestartBackoff {
  /** The delay before replacing a worker that lived `livedMs`. */
  nextDelay(livedMs: number): number;
}

export function createRestartBackoff(options: RestartBackoffOptions = {}): RestartBackoff {
  const stableAfter = options.stableAfterMs ?? 10_000;
  const initial = options.initialDelayMs ?? 100;
  const max = options.maxDelayMs ?? 30_000;
  let quickDeaths = 0;
  return {
    nextDelay(livedMs) {
      if (livedMs >= stableAfter) {
        quickDeaths = 0;
        return 0;
      }
      quickDeaths++;
      return Math.min(max, initial * 2 ** (quickDeaths - 1));
    },
  };
}
