/**
 * Batches `last_used_at`: verifications note the key in memory; a timer writes the batch every
 * `last_used_flush_interval` ms in one transaction. No write per request.
 */
import type { Logger } from 'pino';
import type { ApiKeyDao } from '../../store/api-key-dao.js';

export interface LastUsedRecorder {
  /** Notes a use of the key with public id `keyId`. */
  record(keyId: string): void;
  flush(): Promise<void>;
  stop(): Promise<void>;
}

export function createLastUsedRecorder(deps: { dao: ApiKeyDao; logger: Logger; now?: () => number }, intervalMs: number): LastUsedRecorder {
  const now = deps.now ?? Date.now;
  let pending = new Map<string, number>();
  const flush = async () => {
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    try {
      await deps.dao.touch(batch);
    } catch (err) {
      deps.logger.warn({ err: (err as Error).message, keys: batch.size }, 'could not record last_used_at; will retry');
      for (const [id, at] of batch) if (!pending.has(id)) pending.set(id, at);
    }
  };
  const timer = setInterval(() => void flush(), intervalMs);
  timer.unref();
  return {
    record(keyId) {
      pending.set(keyId, Math.floor(now() / 1000));
    },
    flush,
    async stop() {
      clearInterval(timer);
      await flush();
    },
  };
}
