/**
 * The store's prepare hook for basic-auth credentials: a submitted password is replaced by its
 * argon2id hash before it is written. A stored hash (PHC string) passes through unchanged, which
 * is how a PATCH that does not touch the password keeps it; the input schema refuses passwords
 * that look like a hash, so a plaintext can never be taken for one.
 */
import type { PrepareHook } from '../../store/dao-context.js';
import type { KeyHasher } from '../../apikeys/hashing/key-hasher.js';
import { PASSWORD_HASH_PREFIX } from '../../entities/basicauth-credentials.js';

export function basicAuthCredentialHook(hasher: KeyHasher): PrepareHook {
  return async (entity) => {
    const password = entity['password'];
    if (typeof password !== 'string' || password.startsWith(PASSWORD_HASH_PREFIX)) return { entity, errors: [] };
    const stored = await hasher.hash(password);
    return { entity: { ...entity, password: stored.hash }, errors: [] };
  };
}
