/**
 * Random bytes for values that must be unpredictable and unique but are not secret: AES-GCM
 * nonces and hash salts. `crypto.randomBytes` costs ~8 µs per call here for 12 bytes (a job object
 * per call), which an import of a million keys pays three times per key; drawing 8 KiB from the
 * CSPRNG at once and handing out copies of slices costs under 1 µs. Every byte is handed out once.
 *
 * Never for key material: the pool keeps upcoming bytes in memory until they are handed out.
 */
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 8192;

let pool = Buffer.alloc(0);
let offset = 0;

/** `size` fresh random bytes (a new Buffer the caller owns), for a nonce or a salt; at most 256. */
export function randomNonce(size: number): Buffer {
  if (!Number.isInteger(size) || size < 1 || size > 256) throw new RangeError('a nonce is 1 to 256 bytes');
  if (offset + size > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
    offset = 0;
  }
  const bytes = Buffer.from(pool.subarray(offset, offset + size));
  // Handed out: zeroed, so the pool never holds a value already in use.
  pool.fill(0, offset, offset + size);
  offset += size;
  return bytes;
}
