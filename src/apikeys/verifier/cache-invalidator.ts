/**
 * Keeps the verifier's cache true to the store: every api_keys change (revoke, regenerate, set,
 * delete), every consumer change, and every remote issuer's revocation, whether made on this
 * node or read from `cluster_events`, drops the affected entries. A resync clears everything.
 */
import type { EventSubscriber } from '../../cluster/event-bus.js';
import type { VerificationCache } from '../../credentials/verification-cache.js';
import type { VerifiedKey } from './verify-result.js';

export function createCacheInvalidator(cache: VerificationCache<VerifiedKey>): EventSubscriber {
  return {
    onEvents(events) {
      for (const event of events) {
        const data = event.data ?? {};
        if (event.entity === 'api_keys') {
          for (const id of [data['key_id'], data['replaced_key_id']]) if (typeof id === 'string') cache.deleteByKeyId(id);
          // A key just registered may have been looked up (and remembered as unknown) before.
          if (event.operation !== 'delete') cache.clearNegative();
        } else if (event.entity === 'api_key_revocations') {
          const ids = Array.isArray(data['key_ids']) ? data['key_ids'] : [];
          for (const id of ids) if (typeof id === 'string') cache.deleteByKeyId(id);
        } else if (event.entity === 'consumers' && event.operation !== 'create') {
          cache.deleteByConsumerId(event.entity_id);
        } else if (event.entity === 'services' && event.operation === 'delete') {
          // Keys of a deleted service are deleted with it (a database cascade without events).
          cache.clear();
        }
      }
    },
    onResync() {
      cache.clear();
    },
  };
}
