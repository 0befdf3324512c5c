/**
 * The hook through which fields flagged `encrypted` pass on their way to and from the database.
 * Until the keyring exists the store uses `plaintextCipher`; the keyring's AES-256-GCM cipher
 * (DESIGN §3.2, AAD `<entity>|<field>|<row id>`) plugs in here without touching the DAOs.
 */
export interface FieldCipher {
  /** Returns the stored form of `plaintext`, bound to `aad`. */
  encrypt(plaintext: string, aad: string): string;
  /** Returns the plaintext of a stored value; a value without the `$ke$` marker is plaintext. */
  decrypt(stored: string, aad: string): string;
}

export const ENCRYPTED_MARKER = '$ke$';

export const plaintextCipher: FieldCipher = {
  encrypt: (plaintext) => plaintext,
  decrypt(stored) {
    if (stored.startsWith(ENCRYPTED_MARKER)) throw new Error('an encrypted field was read but no keyring is configured');
    return stored;
  },
};

/** The AAD of one field of one row. */
export function fieldAad(entity: string, field: string, rowId: string): string {
  return `${entity}|${field}|${rowId}`;
}
