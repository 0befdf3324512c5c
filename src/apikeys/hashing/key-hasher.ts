/**
 * The contract every API-key hash algorithm implements, and the record it stores. A stored record
 * names its algorithm, so verification always uses the algorithm the key was stored with: changing
 * `api_keys.hash_algorithm` affects new keys only and never breaks old ones.
 */

/** The algorithms this build knows; matches `api_keys.hash_algorithm` in the config schema. */
export const HASH_ALGORITHMS = ['sha256', 'bcrypt', 'argon2id', 'none'] as const;

/** A hash algorithm name, as configured and as recorded in a stored record. */
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];

/**
 * What the store keeps for a key (beside its id). `salt` is hex for `sha256`, null for algorithms
 * that embed their salt in `hash` (bcrypt's modular crypt string, argon2id's PHC string) and
 * for `none`.
 */
export interface StoredHash {
  readonly algorithm: string;
  readonly salt: string | null;
  readonly hash: string;
}

/** One hash algorithm. `verify` resolves to false, never throws, for a record it cannot use. */
export interface KeyHasher {
  readonly algorithm: HashAlgorithm;
  /** Hashes a plaintext key with a fresh salt. */
  hash(key: string): Promise<StoredHash>;
  /** True only when `key` is the key `stored` was made from, compared in constant time. */
  verify(key: string, stored: StoredHash): Promise<boolean>;
  /**
   * True when `stored` was made by this algorithm with other parameters (a lower bcrypt cost,
   * other argon2id costs, another salt length) and should be re-hashed at the next successful
   * verification, the only moment the plaintext is at hand.
   */
  needsRehash(stored: StoredHash): boolean;
}

/** Narrows a string read from the store to a known algorithm. */
export function isHashAlgorithm(value: string): value is HashAlgorithm {
  return (HASH_ALGORITHMS as readonly string[]).includes(value);
}
