/**
 * An entity read in tolerant mode (the proxy's state build) whose encrypted fields could not be
 * decrypted — its key is missing or the value fails its tag — carries the error under this symbol,
 * its other fields intact and the unreadable ones undefined. Users of such an entity fail closed
 * (a plugin configuration that cannot be read blocks what it applies to); the Admin API never sees
 * one: its reads are strict and answer the error.
 */
import { PortcullisError } from '../errors/portcullis-error.js';

export const UNREADABLE: unique symbol = Symbol('portcullis.unreadable');

export function unreadableError(entity: object): PortcullisError | undefined {
  return (entity as { [UNREADABLE]?: PortcullisError })[UNREADABLE];
}

/** Runs `decrypt`; in tolerant mode a keyring failure is recorded in `failures` and yields undefined. */
export function tolerate<T>(tolerant: boolean, failures: PortcullisError[], decrypt: () => T): T | undefined {
  if (!tolerant) return decrypt();
  try {
    return decrypt();
  } catch (err) {
    if (err instanceof PortcullisError && (err.code === 'PC_KEYRING_KEY_MISSING' || err.code === 'PC_KEYRING_DECRYPT_FAILED')) {
      failures.push(err);
      return undefined;
    }
    throw err;
  }
}
