/**
 * The field cipher of the keyring (DESIGN §3.2):
 *
 *   $ke$1$-<key id>-<nonce: 24 hex>-<ciphertext hex><GCM tag: 32 hex>
 *
 * AES-256-GCM with a fresh random 96-bit nonce per encryption, a 16-byte tag always checked, and
 * `<entity>|<field>|<row id>` as additional authenticated data. Encryption uses the active key;
 * decryption the key named in the value. Failures are catalogued errors naming the key id and
 * the field, never the value.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { randomNonce } from './random-pool.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import type { FieldCipher } from '../store/field-cipher.js';
import type { KeyringHolder, KeyringKey } from './keyring.js';
import { createWorkerSealer, type WorkerSealer } from './worker-sealer.js';

export const CIPHERTEXT_VERSION = '1';
const PREFIX = `$ke$${CIPHERTEXT_VERSION}$-`;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const FORMAT = /^\$ke\$1\$-([A-Za-z0-9]{8})-([0-9a-f]{24})-((?:[0-9a-f]{2})+)$/;

export interface ParsedCiphertext {
  readonly keyId: string;
  readonly nonce: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

/** Splits a stored value into its parts; null when it is not well formed. */
export function parseCiphertext(stored: string): ParsedCiphertext | null {
  const m = FORMAT.exec(stored);
  if (!m) return null;
  const body = Buffer.from(m[3]!, 'hex');
  if (body.length < TAG_BYTES) return null;
  return {
    keyId: m[1]!,
    nonce: Buffer.from(m[2]!, 'hex'),
    ciphertext: body.subarray(0, body.length - TAG_BYTES),
    tag: body.subarray(body.length - TAG_BYTES),
  };
}

/** The key id of a stored value, or null when it is not a well-formed ciphertext. */
export function ciphertextKeyId(stored: string): string | null {
  return stored.startsWith(PREFIX) && stored.length > PREFIX.length + 8 ? (FORMAT.exec(stored)?.[1] ?? null) : null;
}

export function encryptWith(key: Pick<KeyringKey, 'id' | 'key'>, plaintext: string, aad: string, nonce: Buffer = randomNonce(NONCE_BYTES)): string {
  const cipher = createCipheriv('aes-256-gcm', key.key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${PREFIX}${key.id}-${nonce.toString('hex')}-${body.toString('hex')}`;
}

export function decryptWith(key: KeyringKey, parsed: ParsedCiphertext, aad: string): string {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, parsed.nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(parsed.tag);
    return Buffer.concat([decipher.update(parsed.ciphertext), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw decryptFailed(aad, parsed.keyId, 'its authentication tag does not match (tampered, truncated, or moved from another field or row)', cause);
  }
}

/** Fewer fields than this are sealed on the calling thread: a worker round trip costs more. */
export const WORKER_BATCH_MIN = 256;

export interface KeyringCipherOptions {
  /** Called after each encryption with the key used (the keyring counts them). */
  readonly onEncrypt?: (keyId: string) => void;
}

export function createKeyringCipher(holder: KeyringHolder, options: KeyringCipherOptions = {}): FieldCipher {
  const activeKey = (aad: string): KeyringKey => {
    const keyring = holder.current();
    const active = keyring.active === null ? undefined : keyring.keys.get(keyring.active);
    if (!active) throw new PortcullisError('PC_KEYRING_EMPTY', { message: `Cannot encrypt ${describeAad(aad)}: the keyring has no active key` });
    return active;
  };
  let sealer: WorkerSealer | null = null;
  return {
    encrypt(plaintext, aad) {
      const active = activeKey(aad);
      const stored = encryptWith(active, plaintext, aad);
      options.onEncrypt?.(active.id);
      return stored;
    },
    async encryptMany(items) {
      if (items.length === 0) return [];
      const active = activeKey(items[0]![1]);
      const sealed =
        items.length < WORKER_BATCH_MIN
          ? items.map(([plaintext, aad]) => encryptWith(active, plaintext, aad))
          : await (sealer ??= createWorkerSealer()).seal(active, items);
      for (let i = 0; i < sealed.length; i++) options.onEncrypt?.(active.id);
      return sealed;
    },
    decrypt(stored, aad) {
      const parsed = parseCiphertext(stored);
      if (!parsed) throw decryptFailed(aad, null, 'it is not a well-formed $ke$1$ value');
      const key = holder.current().keys.get(parsed.keyId);
      if (!key) {
        throw new PortcullisError('PC_KEYRING_KEY_MISSING', {
          message: `${describeAad(aad)} is encrypted with keyring key ${parsed.keyId}, which this node does not hold: import it (POST /keyring/import) or recover the keyring`,
        });
      }
      return decryptWith(key, parsed, aad);
    },
  };
}

function decryptFailed(aad: string, keyId: string | null, why: string, cause?: unknown): PortcullisError {
  return new PortcullisError('PC_KEYRING_DECRYPT_FAILED', {
    message: `${describeAad(aad)}${keyId ? ` (keyring key ${keyId})` : ''} cannot be decrypted: ${why}`,
    ...(cause ? { cause } : {}),
  });
}

/** `basicauth_credentials|password|<id>` → `basicauth_credentials <id> field password`. */
function describeAad(aad: string): string {
  const [entity, field, id] = aad.split('|');
  return `${entity} ${id} field ${field}`;
}
