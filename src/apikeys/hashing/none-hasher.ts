/**
 * The `none` algorithm: the key is stored as it is. For tests only (it makes a store dump a list
 * of working keys); whoever builds the node logs NONE_HASHER_WARNING at every start while it is
 * configured. Comparison is still constant-time, over SHA-256 digests of both sides so that
 * neither the content nor the length of the stored key shows in the timing.
 */
import { createHash } from 'node:crypto';
import { constantTimeEqual } from './constant-time-equal.js';
import type { KeyHasher } from './key-hasher.js';

/** Logged at warn level at every start while `api_keys.hash_algorithm` is `none`. */
export const NONE_HASHER_WARNING =
  'api_keys.hash_algorithm is "none": new API keys are stored in plaintext. Use it for tests only; set "sha256", "bcrypt" or "argon2id" in production.';

/** Creates the `none` hasher. */
export function createNoneHasher(): KeyHasher {
  return {
    algorithm: 'none',
    async hash(key) {
      return { algorithm: 'none', salt: null, hash: key };
    },
    async verify(key, stored) {
      if (stored.algorithm !== 'none') return false;
      return constantTimeEqual(digest(key), digest(stored.hash));
    },
    needsRehash(stored) {
      return stored.algorithm !== 'none' || stored.salt !== null;
    },
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
