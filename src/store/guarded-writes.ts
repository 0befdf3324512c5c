/**
 * Wraps the DAO context so that every write (entity and API-key DAOs, cluster events, the
 * last-used flush, store transactions) passes the storage checks: the file guard runs before the
 * transaction and again at the end of its body, just before COMMIT, so a file deleted or made
 * read-only meanwhile rolls the write back instead of committing it into a file that is gone; a
 * write that fails for a storage reason marks the store degraded. Reads are left alone.
 */
import type { DaoContext } from './dao-context.js';
import type { StorageHealth } from './storage-health.js';

export function guardWrites(ctx: DaoContext, health: Pick<StorageHealth, 'beforeWrite' | 'writeFailed'>): DaoContext {
  return {
    ...ctx,
    async write(fn, entity) {
      const before = health.beforeWrite();
      if (before) throw before;
      try {
        return await ctx.write(async (tx) => {
          const value = await fn(tx);
          const late = health.beforeWrite();
          if (late) throw late;
          return value;
        }, entity);
      } catch (err) {
        health.writeFailed(err);
        throw err;
      }
    },
  };
}
