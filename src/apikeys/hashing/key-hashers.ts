/**
 * The registry of key hash algorithms: builds the hasher for the configured algorithm (for new
 * keys) and picks, for verification, the hasher a stored record names, so that a change of
 * `api_keys.hash_algorithm` never breaks keys stored before it. The list is explicit.
 */
import type { RandomBytes } from '../key-format.js';
import { createArgon2idHasher, type Argon2idParams } from './argon2id-hasher.js';
import { createBcryptHasher, MIN_BCRYPT_COST } from './bcrypt-hasher.js';
import { isHashAlgorithm, type HashAlgorithm, type KeyHasher, type StoredHash } from './key-hasher.js';
import { createNoneHasher } from './none-hasher.js';
import { createSha256Hasher } from './sha256-hasher.js';

/** Settings of the hashers, from `api_keys`; every field has a default. */
export interface KeyHasherOptions {
  /** `api_keys.bcrypt_cost`; 12 when absent. */
  readonly bcryptCost?: number;
  /** Argon2id parameters; OWASP's when absent. */
  readonly argon2id?: Partial<Argon2idParams>;
  /** Salt source of `sha256`; the CSPRNG when absent. */
  readonly randomBytes?: RandomBytes;
}

/** The hashers of one node, built once from the config. */
export interface KeyHashers {
  /** The hasher new and re-hashed keys are stored with. */
  readonly current: KeyHasher;
  /** The hasher a stored record names, or null for an algorithm this build does not know. */
  hasherFor(algorithm: string): KeyHasher | null;
  /** True when `stored` should be re-hashed with `current` (see {@link needsRehash}). */
  needsRehash(stored: StoredHash): boolean;
}

/** Creates the hasher of one algorithm. Throws for options the config schema would refuse. */
export function createKeyHasher(algorithm: HashAlgorithm, options: KeyHasherOptions = {}): KeyHasher {
  switch (algorithm) {
    case 'sha256':
      return createSha256Hasher(options.randomBytes ? { randomBytes: options.randomBytes } : {});
    case 'bcrypt':
      return createBcryptHasher({ cost: options.bcryptCost ?? MIN_BCRYPT_COST });
    case 'argon2id':
      return createArgon2idHasher(options.argon2id ?? {});
    case 'none':
      return createNoneHasher();
  }
}

/** Builds every hasher once; `current` is the one for `algorithm` (`api_keys.hash_algorithm`). */
export function createKeyHashers(algorithm: HashAlgorithm, options: KeyHasherOptions = {}): KeyHashers {
  const hashers: Readonly<Record<HashAlgorithm, KeyHasher>> = Object.freeze({
    sha256: createKeyHasher('sha256', options),
    bcrypt: createKeyHasher('bcrypt', options),
    argon2id: createKeyHasher('argon2id', options),
    none: createKeyHasher('none', options),
  });
  const current = hashers[algorithm];
  return {
    current,
    hasherFor: (name) => (isHashAlgorithm(name) ? hashers[name] : null),
    needsRehash: (stored) => stored.algorithm !== current.algorithm || current.needsRehash(stored),
  };
}

/**
 * True when `stored` was made with another algorithm than `currentAlgorithm`, or with the same
 * algorithm and other parameters than `options` give. Re-hash at the next successful verification.
 */
export function needsRehash(stored: StoredHash, currentAlgorithm: HashAlgorithm, options: KeyHasherOptions = {}): boolean {
  return stored.algorithm !== currentAlgorithm || createKeyHasher(currentAlgorithm, options).needsRehash(stored);
}
