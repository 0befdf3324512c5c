/**
 * Constant-time comparison of byte strings, the only way this feature compares secrets or their
 * digests. Calls go through the `crypto` module object (not a named import) so tests can observe
 * that the timing-safe path is the one taken.
 */
import crypto from 'node:crypto';

/**
 * True when `a` and `b` hold the same bytes. The time taken depends only on the length of `a`:
 * when lengths differ, `a` is compared with itself so the early exit does not reveal where.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) {
    crypto.timingSafeEqual(a, a);
    return false;
  }
  return crypto.timingSafeEqual(a, b);
}
