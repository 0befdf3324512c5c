/**
 * The `argon2id` key hash with OWASP's first recommended setting (19 MiB, 2 passes, 1 lane).
 * The whole record is a PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) holding salt and
 * parameters; argon2 has no input-length limit, so the key is hashed as it is.
 */
import type { Algorithm } from '@node-rs/argon2';
import type { KeyHasher, StoredHash } from './key-hasher.js';
import { lazyModule } from '../../util/lazy-module.js';

// Loaded at the first hash or verification (src/util/lazy-module.ts): most nodes never need it.
const argon2 = lazyModule<typeof import('@node-rs/argon2')>('@node-rs/argon2', 'the argon2id hasher');

/** The argon2id cost parameters (written into every PHC string). */
export interface Argon2idParams {
  /** KiB of memory per lane. */
  readonly memoryCost: number;
  /** Passes over memory. */
  readonly timeCost: number;
  /** Lanes. */
  readonly parallelism: number;
}

/** OWASP Password Storage Cheat Sheet: m=19456 KiB, t=2, p=1. */
export const OWASP_ARGON2ID: Argon2idParams = Object.freeze({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });

/**
 * Stored records asking for more than this (or than the configured parameters, if higher) are
 * refused without hashing, so one pushed record cannot make every verification take 1 GiB.
 */
export const ARGON2ID_VERIFY_LIMITS: Argon2idParams = Object.freeze({ memoryCost: 65_536, timeCost: 10, parallelism: 4 });

// `Algorithm` is an ambient const enum, which isolated modules cannot read; 2 is Argon2id.
const ARGON2ID = 2 as Algorithm;

/** Creates the `argon2id` hasher. */
export function createArgon2idHasher(config: Partial<Argon2idParams> = {}): KeyHasher {
  const params: Argon2idParams = { ...OWASP_ARGON2ID, ...config };
  const limits: Argon2idParams = {
    memoryCost: Math.max(ARGON2ID_VERIFY_LIMITS.memoryCost, params.memoryCost),
    timeCost: Math.max(ARGON2ID_VERIFY_LIMITS.timeCost, params.timeCost),
    parallelism: Math.max(ARGON2ID_VERIFY_LIMITS.parallelism, params.parallelism),
  };
  return {
    algorithm: 'argon2id',
    async hash(key) {
      return { algorithm: 'argon2id', salt: null, hash: await argon2().hash(key, { ...params, algorithm: ARGON2ID }) };
    },
    async verify(key, stored) {
      const used = paramsOf(stored);
      if (used === null) return false;
      if (used.memoryCost > limits.memoryCost || used.timeCost > limits.timeCost || used.parallelism > limits.parallelism) {
        return false;
      }
      // The library compares the recomputed hash in constant time.
      return argon2().verify(stored.hash, key);
    },
    needsRehash(stored) {
      const used = paramsOf(stored);
      return used === null || used.memoryCost !== params.memoryCost || used.timeCost !== params.timeCost || used.parallelism !== params.parallelism;
    },
  };
}

/** The parameters of a usable argon2id record, or null when it is not one (argon2i/argon2d too). */
function paramsOf(stored: StoredHash): Argon2idParams | null {
  if (stored.algorithm !== 'argon2id' || !stored.hash.startsWith('$argon2id$')) return null;
  const { parseOptions } = argon2(); // outside the try: a library that cannot be loaded is an error, not a malformed record
  try {
    const parsed = parseOptions(stored.hash);
    return parsed.algorithm === ARGON2ID ? parsed : null;
  } catch {
    return null; // malformed PHC string
  }
}
