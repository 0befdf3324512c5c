/**
 * The lookup digest of external (imported) keys: unsalted SHA-256 of the key, hex. It is an
 * index, not a password hash: it is safe only because keys are high-entropy random values, and
 * it lets the store find a key that has no public id in O(1).
 */
import { createHash } from 'node:crypto';

/** Lowercase hex SHA-256 of the UTF-8 bytes of `value`. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
