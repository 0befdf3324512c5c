/**
 * What the verifier caches for a key found in the store: its ids, owner and when it stops working
 * (the key's expiry, or the end of the grace period of a replaced secret). Strings that many keys
 * repeat go through the interner, since a million cached keys each holding their own copy of
 * their owner's ids would cost ~100 MB (see bench/keys-scale.ts).
 */
import type { ApiKeyRecord } from '../../entities/api-keys.js';
import type { StringInterner } from './string-interner.js';
import type { VerifiedKey } from './verify-result.js';

export function verifiedKeyOf(record: ApiKeyRecord, isPrevious: boolean, intern: StringInterner): VerifiedKey {
  const ends = [record.expires_at, isPrevious ? record.previous!.valid_until : null].filter((v): v is number => v !== null);
  return {
    keyId: record.key_id,
    stored: true,
    consumerId: record.consumer ? intern(record.consumer.id) : null,
    serviceId: record.service ? intern(record.service.id) : null,
    issuer: intern(record.issuer),
    expiresAt: ends.length ? Math.min(...ends) * 1000 : null,
  };
}
