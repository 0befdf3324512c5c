/**
 * The `bcrypt` key hash, over a SHA-256 pre-hash of the key: bcrypt reads at most 72 bytes, and
 * a key with an 8-char prefix is 81 chars, so without the pre-hash two keys differing only in
 * their last chars would verify against each other. The pre-hash is the 44-char base64 of the
 * digest (all 256 bits, under the limit). The salt and cost live inside the bcrypt string.
 */
import { createHash } from 'node:crypto';
import type { KeyHasher, StoredHash } from './key-hasher.js';
import { lazyModule } from '../../util/lazy-module.js';

// Loaded at the first hash or verification (src/util/lazy-module.ts): most nodes never need it.
const bcrypt = lazyModule<typeof import('@node-rs/bcrypt')>('@node-rs/bcrypt', 'the bcrypt hasher');

/** The lowest cost accepted (as in the config schema). */
export const MIN_BCRYPT_COST = 12;
/**
 * Stored records with a higher cost are refused without running bcrypt: a record pushed by an
 * issuer with cost 31 would otherwise hold a verification thread for days.
 */
export const MAX_BCRYPT_COST = 16;

/** The bcrypt settings, from `api_keys`. */
export interface BcryptHasherConfig {
  /** `api_keys.bcrypt_cost`, 12–16. */
  readonly cost: number;
}

/** Creates the `bcrypt` hasher. Throws at build time for a cost outside 12–16. */
export function createBcryptHasher(config: BcryptHasherConfig): KeyHasher {
  const { cost } = config;
  if (!Number.isInteger(cost) || cost < MIN_BCRYPT_COST || cost > MAX_BCRYPT_COST) {
    throw new RangeError(`bcrypt cost must be an integer from ${MIN_BCRYPT_COST} to ${MAX_BCRYPT_COST}`);
  }
  return {
    algorithm: 'bcrypt',
    async hash(key) {
      return { algorithm: 'bcrypt', salt: null, hash: await bcrypt().hash(preHash(key), cost) };
    },
    async verify(key, stored) {
      const storedCost = costOf(stored);
      if (storedCost === null || storedCost > MAX_BCRYPT_COST) return false;
      // The library compares the recomputed hash in constant time.
      return bcrypt().verify(preHash(key), stored.hash);
    },
    needsRehash(stored) {
      return costOf(stored) !== cost;
    },
  };
}

/** Base64 SHA-256 of the key: what bcrypt actually sees. */
function preHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('base64');
}

/** The cost of a usable bcrypt record, or null when it is not one. */
function costOf(stored: StoredHash): number | null {
  if (stored.algorithm !== 'bcrypt') return null;
  const match = MODULAR_CRYPT.exec(stored.hash);
  return match ? Number(match[1]) : null;
}

/** `$2b$<cost>$<22 chars of salt><31 chars of hash>` (and the older 2a/2x/2y variants). */
const MODULAR_CRYPT = /^\$2[abxy]\$(\d{2})\$[./A-Za-z0-9]{53}$/;
