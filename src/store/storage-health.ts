/**
 * Whether the store can take writes: the state behind `/status/ready`.
 *
 * A `select 1` proves little: it still answers on a deleted SQLite file and on a full or
 * read-only database. So the store is *degraded* from the moment a write fails for a storage
 * reason (full, read-only, I/O, unusable file) and stays so until a probe write succeeds; a
 * healthy store checks itself with the file guard (SQLite) and a ping only, never a write.
 *
 * Fail fast (PostgreSQL): once a query or connection failed because the database is unreachable
 * (refused, timed out, hung), `failFast()` answers that failure at once instead of letting each
 * request wait for the database again, until a ping succeeds. Pings run in the background every
 * `failFastMs` while it lasts (never on a request's path), so the window closes within about that
 * much once the database answers again.
 */
import { PortcullisError } from '../errors/portcullis-error.js';
import type { SqliteFileGuard } from './dialects/sqlite-file-guard.js';
import { isStorageFailure, mapStoreError } from './store-errors.js';

/** Called when the store becomes degraded, changes cause, or recovers (`null`). */
export type StorageListener = (problem: PortcullisError | null) => void;

/** What the rest of the node sees of the store's health. */
export interface StorageStatus {
  /**
   * Why a write would fail now, or null. Runs the file guard, then a probe write while degraded,
   * else a ping. The storage failures are PC_STORE_UNAVAILABLE, PC_STORE_READ_ONLY and PC_STORE_FULL.
   */
  check(): Promise<PortcullisError | null>;
  onChange(listener: StorageListener): () => void;
  /** The unreachable failure seen last while the database has not answered since, or null: answer it at once. */
  failFast(): PortcullisError | null;
  /** Records a failure seen outside writes (a read): an unreachable database opens fail-fast. */
  observe(err: unknown): void;
}

export interface StorageHealth extends StorageStatus {
  /** The file guard's verdict before a write (null: go on); a failure degrades the store. */
  beforeWrite(): PortcullisError | null;
  /** Records a failed write: a storage failure degrades the store. */
  writeFailed(err: unknown): void;
  /** Ends background rechecks (the store closes). */
  stop(): void;
}

export interface StorageHealthDeps {
  readonly guard: SqliteFileGuard | null;
  probe(): Promise<void>;
  ping(): Promise<void>;
  /** How often, in ms, a background ping checks a database seen unreachable; 0 turns fail-fast off (SQLite: a busy lock is not an outage). */
  readonly failFastMs?: number;
}

export function createStorageHealth(deps: StorageHealthDeps): StorageHealth {
  let degraded: PortcullisError | null = null;
  let probing: Promise<PortcullisError | null> | null = null;
  const listeners = new Set<StorageListener>();
  const failFastMs = deps.failFastMs ?? 0;
  let unreachable: PortcullisError | null = null;
  let recheck: NodeJS.Timeout | null = null;
  let stopped = false;
  // Non-null from scheduling until the ping settles: one recheck at a time.
  const scheduleRecheck = () => {
    recheck = setTimeout(() => {
      deps.ping().then(
        () => ((unreachable = null), (recheck = null)),
        () => {
          recheck = null;
          if (unreachable && !stopped) scheduleRecheck();
        },
      );
    }, failFastMs);
    recheck.unref();
  };
  const sawFailure = (err: unknown) => {
    if (failFastMs <= 0 || stopped || !isOutage(err)) return;
    unreachable ??= err;
    if (!recheck) scheduleRecheck();
  };

  const set = (problem: PortcullisError | null) => {
    const changed = problem === null ? degraded !== null : degraded?.code !== problem.code || degraded.message !== problem.message;
    degraded = problem;
    if (changed) for (const listener of listeners) listener(problem);
  };

  const guarded = (): PortcullisError | null => {
    const problem = deps.guard?.check() ?? null;
    if (problem) set(problem);
    return problem;
  };

  const probe = async (): Promise<PortcullisError | null> => {
    try {
      await deps.probe();
      set(null);
      return null;
    } catch (err) {
      const mapped = mapStoreError(err, 'database');
      // An unexpected probe error (a bug, not the storage) keeps the cause we already know.
      if (isStorageFailure(mapped)) set(mapped);
      return degraded;
    }
  };

  return {
    beforeWrite: () => guarded() ?? unreachable,
    writeFailed(err) {
      if (isStorageFailure(err)) set(err);
      sawFailure(err);
    },
    observe: sawFailure,
    failFast: () => unreachable,
    stop() {
      stopped = true;
      if (recheck) clearTimeout(recheck);
    },
    async check() {
      const problem = guarded();
      if (problem) return problem;
      if (degraded) return (probing ??= probe().finally(() => (probing = null)));
      try {
        await deps.ping();
        unreachable = null;
        return null;
      } catch (err) {
        // Unreachable is not degraded: reads fail alike, and the next ping tells it is back.
        const mapped = mapStoreError(err, 'database');
        const problem = isStorageFailure(mapped) ? mapped : new PortcullisError('PC_STORE_UNAVAILABLE', { cause: err });
        sawFailure(problem);
        return problem;
      }
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

// The server itself cannot be reached or does not answer. One connection ended by the server (a
// terminated backend, a restart already over) is not an outage: the next query opens a new one.
const OUTAGE_CODES = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', '57P03']);
const OUTAGE_MESSAGES = /timeout exceeded when trying to connect|Query read timeout/i;

/** True for PC_STORE_UNAVAILABLE caused by an unreachable or hung server. */
function isOutage(err: unknown): err is PortcullisError {
  if (!(err instanceof PortcullisError) || err.code !== 'PC_STORE_UNAVAILABLE') return false;
  let cause: unknown = err.cause;
  for (let depth = 0; cause && typeof cause === 'object' && depth < 4; depth++) {
    const c = cause as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    if (typeof c.code === 'string' && OUTAGE_CODES.has(c.code)) return true;
    if (typeof c.message === 'string' && OUTAGE_MESSAGES.test(c.message)) return true;
    cause = c.cause;
  }
  return false;
}
