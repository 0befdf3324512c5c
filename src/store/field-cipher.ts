/**
 * The hook through which fields flagged `encrypted` pass on their way to and from the database.
 * The store requires one: the node and the CLI pass the keyring's AES-256-GCM cipher
 * (keyring/keyring-cipher.ts); only tests may build a store without a keyring, through
 * `store/testing/`. A stored value without the `$ke$` marker is plaintext written before
 * encryption existed: the codec reads it as such and encrypts it on its next write.
 */
export interface FieldCipher {
  /** Returns the stored form of `plaintext`, bound to `aad`. Throws PC_KEYRING_EMPTY without an active key. */
  encrypt(plaintext: string, aad: string): string;
  /**
   * Returns the plaintext of a stored `$ke$` value. Throws PC_KEYRING_KEY_MISSING when its key is
   * not held and PC_KEYRING_DECRYPT_FAILED when it is malformed or fails its tag (tampered, moved).
   */
  decrypt(stored: string, aad: string): string;
  /**
   * `encrypt` of many fields at once, in order, possibly off the main thread (a bulk import
   * overlaps it with its database work). Optional: callers fall back to `encrypt`.
   */
  encryptMany?(items: readonly (readonly [plaintext: string, aad: string])[]): Promise<string[]>;
}

export const ENCRYPTED_MARKER = '$ke$';

export function isEncryptedValue(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(ENCRYPTED_MARKER);
}

/** The AAD of one field of one row (a nested field: `config.<path>`). */
export function fieldAad(entity: string, field: string, rowId: string): string {
  return `${entity}|${field}|${rowId}`;
}
