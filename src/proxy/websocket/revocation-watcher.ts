/**
 * `close_on_revoke`: closes the WebSocket connections whose API key stopped being valid while they
 * were open, with 1008 (policy violation). It listens to the same cluster events that purge the
 * verifier's cache (`apikeys/verifier/cache-invalidator.ts`), so a revocation made on any node
 * reaches the open connections of every node as soon as it reaches that node's key cache:
 * - `api_key_revocations` (a remote issuer revoked keys): the named keys are closed at once;
 * - `api_keys` delete: closed at once;
 * - other `api_keys` changes (revoke is an update): the key's row is read again and its
 *   connections closed unless it is still active and unexpired. A regeneration leaves the old
 *   key's connections open: the old key stays valid for its grace period;
 * - `consumers` delete, `services` delete: the consumer's keys, or the keys scoped to the service,
 *   were deleted with it (a database cascade, no event per key): their watched connections are
 *   closed at once.
 * Only keys with open, watched connections cost a read.
 */
import type { Logger } from 'pino';
import type { EventSubscriber } from '../../cluster/event-bus.js';
import type { ApiKeyRecord } from '../../entities/api-keys.js';
import { POLICY_VIOLATION } from './close-frame.js';
import type { WatchScope, WatchedTunnelsView } from './watched-tunnels.js';

/** What the watcher closes: a tunnel with a WebSocket close code. */
export interface Closable {
  close(code: number): void;
}

export interface RevocationWatcherDeps {
  /** The open connections whose key is watched. */
  readonly tunnels: WatchedTunnelsView<Closable>;
  /** The stored key of row `id`, null when it is gone. */
  findApiKey(id: string): Promise<Pick<ApiKeyRecord, 'status' | 'expires_at'> | null>;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** Why connections closed, by what was found to end their key (for the log). */
const REASONS: Record<WatchScope, string> = {
  key: 'WebSocket connections closed: their API key was revoked',
  consumer: 'WebSocket connections closed: their consumer was deleted',
  service: 'WebSocket connections closed: the service their API key was scoped to was deleted',
};

export function createRevocationWatcher(deps: RevocationWatcherDeps): EventSubscriber {
  const now = deps.now ?? Date.now;

  const close = (scope: WatchScope, id: string) => {
    const found = deps.tunnels.find(scope, id);
    for (const tunnel of found) tunnel.close(POLICY_VIOLATION);
    if (found.length > 0) deps.logger.info({ [`${scope}_id`]: id, connections: found.length }, REASONS[scope]);
  };
  const closeKey = (keyId: string) => close('key', keyId);

  const recheck = async (rowId: string, keyId: string) => {
    const key = await deps.findApiKey(rowId);
    const valid = key !== null && key.status === 'active' && (key.expires_at === null || key.expires_at * 1000 > now());
    if (!valid) closeKey(keyId);
  };

  return {
    onEvents(events) {
      for (const event of events) {
        const data = event.data ?? {};
        if ((event.entity === 'consumers' || event.entity === 'services') && event.operation === 'delete') {
          close(event.entity === 'consumers' ? 'consumer' : 'service', event.entity_id);
        } else if (event.entity === 'api_key_revocations') {
          for (const id of Array.isArray(data['key_ids']) ? data['key_ids'] : []) if (typeof id === 'string') closeKey(id);
        } else if (event.entity === 'api_keys' && typeof data['key_id'] === 'string') {
          const keyId = data['key_id'];
          if (!deps.tunnels.has('key', keyId)) continue;
          if (event.operation === 'delete') closeKey(keyId);
          else
            recheck(event.entity_id, keyId).catch((err: unknown) =>
              deps.logger.warn({ key_id: keyId, err: (err as Error).message }, 'could not re-read an API key with open WebSocket connections'),
            );
        }
      }
    },
    // Nothing precise to re-read: connections stay as they are; the next event about their key is seen.
    onResync() {},
  };
}
