/**
 * For tests only: the keyring's real AES-256-GCM cipher over a fresh in-memory keyring of one key,
 * so a store built in a test encrypts exactly as a node's does. Nothing outside tests imports this
 * and benchmarks (the node and the CLI build their keyring in node/store-parts.ts).
 */
import { createKeyringHolder, generateKey, withKeys, type KeyringHolder } from '../../keyring/keyring.js';
import { createKeyringCipher } from '../../keyring/keyring-cipher.js';
import type { FieldCipher } from '../field-cipher.js';

export interface TestCipher extends FieldCipher {
  readonly holder: KeyringHolder;
}

export function createTestCipher(holder: KeyringHolder = createKeyringHolder()): TestCipher {
  if (holder.current().active === null) {
    const key = generateKey(Math.floor(Date.now() / 1000));
    holder.replace(withKeys(holder.current(), [key], key.id));
  }
  return { ...createKeyringCipher(holder), holder };
}

/** One cipher shared by the stores of a test process, so two stores on one database read each other's values. */
export const TEST_CIPHER: TestCipher = createTestCipher();
