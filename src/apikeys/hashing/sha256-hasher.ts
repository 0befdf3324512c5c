/**
 * The default key hash: SHA-256 over a 32-byte random salt ‖ the key, both stored as hex.
 * Fast on purpose: keys are 256-bit random values, so a slow hash adds no security against
 * guessing, and the salt keeps two stores (or two rows) from sharing a digest.
 */
import { createHash } from 'node:crypto';
import { randomNonce } from '../../keyring/random-pool.js';
import type { RandomBytes } from '../key-format.js';
import { constantTimeEqual } from './constant-time-equal.js';
import type { KeyHasher, StoredHash } from './key-hasher.js';

const SALT_BYTES = 32;
const HEX_32_BYTES = /^[0-9a-f]{64}$/;

/** What the hasher needs from outside. */
export interface Sha256HasherDeps {
  /** Salt source; the CSPRNG (through keyring/random-pool.ts) unless a test fixes it. */
  readonly randomBytes?: RandomBytes;
}

/** Creates the `sha256` hasher. */
export function createSha256Hasher(deps: Sha256HasherDeps = {}): KeyHasher {
  const randomBytes = deps.randomBytes ?? randomNonce;
  return {
    algorithm: 'sha256',
    async hash(key) {
      const salt = Buffer.from(randomBytes(SALT_BYTES));
      if (salt.length !== SALT_BYTES) throw new RangeError(`the salt source must return ${SALT_BYTES} bytes`);
      return { algorithm: 'sha256', salt: salt.toString('hex'), hash: digest(salt, key).toString('hex') };
    },
    async verify(key, stored) {
      if (!isOwnRecord(stored)) return false;
      const expected = Buffer.from(stored.hash, 'hex');
      return constantTimeEqual(digest(Buffer.from(stored.salt, 'hex'), key), expected);
    },
    needsRehash(stored) {
      return !isOwnRecord(stored);
    },
  };
}

function digest(salt: Buffer, key: string): Buffer {
  return createHash('sha256').update(salt).update(key, 'utf8').digest();
}

function isOwnRecord(stored: StoredHash): stored is StoredHash & { salt: string } {
  return stored.algorithm === 'sha256' && stored.salt !== null && HEX_32_BYTES.test(stored.salt) && HEX_32_BYTES.test(stored.hash);
}
