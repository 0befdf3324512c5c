/**
 * Checks and decodes what AccessSecretVersion returned. The Google client does not verify the
 * payload's `dataCrc32c` (probed: a wrong value passes), so this does, as Google asks clients to
 * (secret-manager/docs/access-secret-version, "data integrity"); a mismatch means the bytes were
 * damaged on the way, so the read is `unavailable` and a retry may get them whole.
 */
import { VaultBackendError, type SecretRead } from '../../vault-backend.js';
import { crc32c } from './crc32c.js';

/** The parts of `IAccessSecretVersionResponse` read here (REST mode gives `dataCrc32c` as a string). */
export interface AccessedVersion {
  readonly name?: string | null;
  readonly payload?: { readonly data?: Uint8Array | string | null; readonly dataCrc32c?: number | string | object | null } | null;
}

/** Keeps a leading U+FEFF (the default decoder would drop it) and refuses bytes that are not UTF-8. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The secret's text and version number, or a VaultBackendError naming `name`. */
export function decodeSecretPayload(response: AccessedVersion, name: string): SecretRead {
  const raw = response.payload?.data ?? new Uint8Array(0);
  const data = typeof raw === 'string' ? Buffer.from(raw, 'base64') : raw;
  const expected = response.payload?.dataCrc32c;
  // Google stores a checksum with every version it accepts; versions written before checksums
  // existed have none, and there is nothing to compare then.
  if (expected !== undefined && expected !== null && String(expected) !== String(crc32c(data))) {
    throw new VaultBackendError('unavailable', `the payload of ${name} does not match its CRC-32C checksum: it was damaged on the way`);
  }
  let value: string;
  try {
    value = UTF8.decode(data);
  } catch {
    throw new VaultBackendError('unavailable', `the payload of ${name} is not UTF-8 text`);
  }
  const version = /\/versions\/([0-9]+)$/.exec(response.name ?? '')?.[1];
  return version === undefined ? { value } : { value, version };
}
