/**
 * Whether the store can take writes: the state behind `/status/ready`.
 *
 * A `select 1` proves little: it still answers on a deleted SQLite file and on a full or
 * read-only database. So the store is *degraded* from the moment a write fails for a storage
 * reason (full, read-only, I/O, unusable file) and stays so until a probe write succeeds; a
 * healthy store checks itself with the file guard (SQLite) and a ping only, never a write.
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
}

export interface StorageHealth extends StorageStatus {
  /** The file guard's verdict before a write (null: go on); a failure degrades the store. */
  beforeWrite(): PortcullisError | null;
  /** Records a failed write: a storage failure degrades the store. */
  writeFailed(err: unknown): void;
}

export interface StorageHealthDeps {
  readonly guard: SqliteFileGuard | null;
  probe(): Promise<void>;
  ping(): Promise<void>;
}

export function createStorageHealth(deps: StorageHealthDeps): StorageHealth {
  let degraded: PortcullisError | null = null;
  let probing: Promise<PortcullisError | null> | null = null;
  const listeners = new Set<StorageListener>();

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
    beforeWrite: guarded,
    writeFailed(err) {
      if (isStorageFailure(err)) set(err);
    },
    async check() {
      const problem = guarded();
      if (problem) return problem;
      if (degraded) return (probing ??= probe().finally(() => (probing = null)));
      try {
        await deps.ping();
        return null;
      } catch (err) {
        // Unreachable is not degraded: reads fail alike, and the next ping tells it is back.
        const mapped = mapStoreError(err, 'database');
        return isStorageFailure(mapped) ? mapped : new PortcullisError('PC_STORE_UNAVAILABLE', { cause: err });
      }
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
