/**
 * The one envelope in which a keyring leaves memory: the export blob (`POST /keyring/export`), the
 * node's blob file (`keyring_blob_path`), the database's recovery copy, and a keyring exchange answer
 * (keys one node hands another, wrapped for the asker's ephemeral key: src/cluster/keyring-exchange.ts).
 * It is one base64url string of the JSON object
 *
 *   {"format":"portcullis-keyring","version":1,"purpose":"export"|"blob"|"recovery"|"exchange",
 *    "created_at":<s>,"active":<id>|null,"recipient":<hex>,"keys":[{"id","created_at","kcv"}…],
 *    "wrapped_key":<b64url>,"nonce":<b64url>,"ciphertext":<b64url>,"tag":<b64url>}
 *
 * A random 32-byte data key encrypts the key material (each key's 32 bytes, concatenated in the
 * order of `keys`) with AES-256-GCM (96-bit random nonce, 16-byte tag); the data key is wrapped
 * with RSA-OAEP, SHA-256 for both OAEP and MGF1, under the recipient's public key. Every field
 * but the last four is in clear and is the GCM additional data, serialised canonically (compact
 * JSON of those fields in the order above, without spaces), so editing any of it fails.
 * `recipient` is the SHA-256 of the public key's SPKI DER: it tells a wrong private key apart
 * from an edited envelope. Binary fields are unpadded base64url.
 *
 * An envelope is sealed, not signed: whoever holds the public key can make one. Opening it proves
 * it is intact and was made for this private key, not who made it.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  constants,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { PortcullisError } from '../errors/portcullis-error.js';
import { KEY_BYTES, isKeyId, keyCheckValue, type KeyringKey } from './keyring.js';

export type WrapPurpose = 'export' | 'blob' | 'recovery' | 'exchange';

export interface KeyringContent {
  readonly keys: readonly KeyringKey[];
  readonly active: string | null;
}

export interface UnwrappedKeyring {
  keys: KeyringKey[];
  active: string | null;
  /** When the envelope was made, seconds since the epoch. */
  created_at: number;
  purpose: WrapPurpose;
}

/** What an envelope says about itself in clear: readable without the private key, but authenticated only by unwrapping. */
export interface WrappedKeyringInfo {
  readonly purpose: WrapPurpose;
  readonly created_at: number;
  readonly active: string | null;
  /** SHA-256 (hex) of the public key the envelope was made for. */
  readonly recipient: string;
  readonly keys: readonly { readonly id: string; readonly created_at: number; readonly kcv: string }[];
}

/** Longest envelope accepted (characters); the keyring it can hold is capped well below. */
export const MAX_WRAPPED_LENGTH = 1024 * 1024;
export const MIN_RSA_BITS = 2048;
const MAX_KEYS = 4096;
const FORMAT = 'portcullis-keyring';
const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const DATA_KEY_BYTES = 32;
const PURPOSES: readonly WrapPurpose[] = ['export', 'blob', 'recovery', 'exchange'];
const PURPOSE_NAMES: Record<WrapPurpose, string> = {
  export: 'a keyring export',
  blob: "a node's keyring blob file",
  recovery: "the database's recovery copy",
  exchange: 'a keyring exchange answer',
};
const HEAD = `{"format":"${FORMAT}"`;
const ENVELOPE_FIELDS = ['format', 'version', 'purpose', 'created_at', 'active', 'recipient', 'keys', 'wrapped_key', 'nonce', 'ciphertext', 'tag'];
const KEY_FIELDS = ['id', 'created_at', 'kcv'];
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' } as const;

interface Envelope extends WrappedKeyringInfo {
  readonly wrapped_key: Buffer;
  readonly nonce: Buffer;
  readonly ciphertext: Buffer;
  readonly tag: Buffer;
}

/** Wraps `content` under an RSA public key (PEM). Throws PC_KEYRING_EXPORT_INVALID when the key is not one the keyring accepts. */
export function wrapKeyring(content: KeyringContent, publicKeyPem: string, options: { purpose: WrapPurpose; nowSeconds: number }): string {
  const publicKey = rsaKey(publicKeyPem, 'public');
  if (typeof publicKey === 'string') throw invalid(`The RSA public key cannot wrap the keyring: ${publicKey}`);
  assertWrappable(content, options.nowSeconds);
  const info: WrappedKeyringInfo = {
    purpose: options.purpose,
    created_at: options.nowSeconds,
    active: content.active,
    recipient: keyFingerprint(publicKey),
    keys: content.keys.map((k) => ({ id: k.id, created_at: k.created_at, kcv: keyCheckValue(k.key) })),
  };
  const dataKey = randomBytes(DATA_KEY_BYTES);
  const nonce = randomBytes(NONCE_BYTES);
  const material = Buffer.concat(content.keys.map((k) => k.key));
  try {
    const cipher = createCipheriv('aes-256-gcm', dataKey, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(info));
    const ciphertext = Buffer.concat([cipher.update(material), cipher.final()]);
    const envelope = {
      ...canonicalInfo(info),
      wrapped_key: publicEncrypt({ key: publicKey, ...OAEP }, dataKey).toString('base64url'),
      nonce: nonce.toString('base64url'),
      ciphertext: ciphertext.toString('base64url'),
      tag: cipher.getAuthTag().toString('base64url'),
    };
    return Buffer.from(JSON.stringify(envelope), 'utf8').toString('base64url');
  } finally {
    dataKey.fill(0);
    material.fill(0);
  }
}

/**
 * Opens an envelope with the RSA private key (PEM) it was made for, and checks every key against
 * its metadata. With `purpose`, refuses an envelope made for another use. Throws
 * PC_KEYRING_EXPORT_INVALID saying what is wrong; the message never holds key material.
 */
export function unwrapKeyring(data: string, privateKeyPem: string, options: { purpose?: WrapPurpose } = {}): UnwrappedKeyring {
  const envelope = readEnvelope(data);
  const what = PURPOSE_NAMES[envelope.purpose];
  if (options.purpose !== undefined && options.purpose !== envelope.purpose) {
    throw invalid(`This is ${what}, not ${PURPOSE_NAMES[options.purpose]}: it cannot be used here`);
  }
  const privateKey = rsaKey(privateKeyPem, 'private');
  if (typeof privateKey === 'string') throw invalid(`The RSA private key cannot open ${what}: ${privateKey}`);
  const fingerprint = keyFingerprint(createPublicKey(privateKey));
  if (fingerprint !== envelope.recipient) {
    throw invalid(
      `Wrong private key: ${what} was wrapped for the RSA key with fingerprint ${envelope.recipient.slice(0, 16)}…, ` +
        `this private key's is ${fingerprint.slice(0, 16)}…`,
    );
  }
  const modulusBytes = Math.ceil(privateKey.asymmetricKeyDetails!.modulusLength! / 8);
  if (envelope.wrapped_key.length !== modulusBytes) {
    throw invalid(`${capital(what)} is damaged: its wrapped data key is ${envelope.wrapped_key.length} bytes, not ${modulusBytes} (truncated or edited)`);
  }
  let dataKey: Buffer;
  try {
    dataKey = privateDecrypt({ key: privateKey, ...OAEP }, envelope.wrapped_key);
  } catch {
    throw invalid(`${capital(what)} was edited or damaged: its wrapped data key does not open with the matching private key`);
  }
  let material: Buffer | null = null;
  try {
    if (dataKey.length !== DATA_KEY_BYTES) throw invalid(`${capital(what)} was edited or damaged: its data key is not ${DATA_KEY_BYTES} bytes`);
    if (envelope.ciphertext.length !== KEY_BYTES * envelope.keys.length) {
      throw invalid(
        `${capital(what)} was edited or damaged: it lists ${envelope.keys.length} keys but holds ${envelope.ciphertext.length} bytes of key material`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', dataKey, envelope.nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(envelope));
      decipher.setAuthTag(envelope.tag);
      material = Buffer.concat([decipher.update(envelope.ciphertext), decipher.final()]);
    } catch {
      throw invalid(`${capital(what)} was edited or damaged: it fails its authentication check (its metadata, nonce, ciphertext or tag changed)`);
    }
    return { keys: splitKeys(envelope, material), active: envelope.active, created_at: envelope.created_at, purpose: envelope.purpose };
  } finally {
    dataKey.fill(0);
    material?.fill(0);
  }
}

/** The clear metadata of an envelope (ids, KCVs, active, purpose), without opening it. Throws PC_KEYRING_EXPORT_INVALID when malformed. */
export function describeWrappedKeyring(data: string): WrappedKeyringInfo {
  return canonicalInfo(readEnvelope(data));
}

/**
 * Parses an RSA key the keyring accepts (PEM; a private key also gives its public key). Returns
 * the key, or a sentence saying why not (never the key's content).
 */
export function rsaKey(pem: string, kind: 'public' | 'private'): KeyObject | string {
  let key: KeyObject;
  try {
    key = kind === 'public' ? createPublicKey(pem) : createPrivateKey(pem);
  } catch {
    return kind === 'public'
      ? 'it is not a PEM public key'
      : 'it is not a PEM private key (or it is encrypted with a passphrase: store it decrypted, mode 0600, or keep it offline)';
  }
  // RSA-PSS keys are RSA keys restricted to signing: they cannot wrap with OAEP.
  if (key.asymmetricKeyType !== 'rsa') return `it is not an RSA key (its type is ${key.asymmetricKeyType ?? 'unknown'}); an RSA key is required`;
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) return `it is a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`;
  return key;
}

/** SHA-256 (hex) of a public key's SPKI DER: names an RSA key without revealing anything. */
export function keyFingerprint(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

function assertWrappable(content: KeyringContent, nowSeconds: number): void {
  // The keyring guarantees all of this; a violation is a bug in the caller, not bad input.
  const ids = new Set<string>();
  for (const k of content.keys) {
    if (!isKeyId(k.id) || k.key.length !== KEY_BYTES || !isSeconds(k.created_at) || ids.has(k.id))
      throw new Error(`cannot wrap keyring key ${k.id}: invalid or duplicate`);
    ids.add(k.id);
  }
  if (content.keys.length > MAX_KEYS) throw new Error(`cannot wrap more than ${MAX_KEYS} keyring keys`);
  if (content.active !== null && !ids.has(content.active)) throw new Error(`cannot wrap a keyring whose active key ${content.active} is not in it`);
  if (!isSeconds(nowSeconds)) throw new Error('nowSeconds must be whole seconds since the epoch');
}

function readEnvelope(data: string): Envelope {
  if (typeof data !== 'string' || data.length === 0) throw invalid('The keyring export is empty');
  if (data.length > MAX_WRAPPED_LENGTH)
    throw invalid(`The keyring export is too large (${data.length} characters; at most ${MAX_WRAPPED_LENGTH}): it is not a Portcullis keyring export`);
  // Tolerate what copying through terminals and files adds: line breaks, and base64's alphabet and padding.
  const compact = data.replace(/\s+/g, '').replace(/=+$/, '').replaceAll('+', '-').replaceAll('/', '_');
  if (compact.length === 0) throw invalid('The keyring export is empty');
  if (compact.startsWith('-----BEGIN')) throw invalid('This is a PEM key, not a Portcullis keyring export');
  if (!BASE64URL.test(compact)) throw invalid('This is not a Portcullis keyring export: it is not base64');
  const text = Buffer.from(compact, 'base64url').toString('utf8');
  if (!text.startsWith(HEAD)) {
    throw invalid(HEAD.startsWith(text) ? 'The keyring export is truncated' : 'This is not a Portcullis keyring export');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid('The keyring export is truncated or damaged: it does not parse');
  }
  const result = toEnvelope(parsed as Record<string, unknown>);
  if (typeof result === 'string') throw invalid(`The keyring export is malformed: ${result}`);
  return result;
}

/** Checks every field; returns the envelope or what is wrong with it. */
function toEnvelope(o: Record<string, unknown>): Envelope | string {
  if (o['version'] !== VERSION) return `version ${JSON.stringify(o['version'])} is not supported (this Portcullis reads version ${VERSION})`;
  const unexpected = Object.keys(o).find((f) => !ENVELOPE_FIELDS.includes(f));
  if (unexpected !== undefined) return `unexpected field ${JSON.stringify(unexpected).slice(0, 40)}`;
  const purpose = o['purpose'] as WrapPurpose;
  if (!PURPOSES.includes(purpose)) return 'unknown purpose';
  if (!isSeconds(o['created_at'])) return 'created_at is not a time in seconds';
  if (typeof o['recipient'] !== 'string' || !/^[0-9a-f]{64}$/.test(o['recipient'])) return 'recipient is not a SHA-256 fingerprint';
  const keys = o['keys'];
  if (!Array.isArray(keys) || keys.length > MAX_KEYS) return `keys is not a list of at most ${MAX_KEYS} keys`;
  const ids = new Set<string>();
  for (const [i, k] of keys.entries()) {
    if (typeof k !== 'object' || k === null || Object.keys(k).length !== KEY_FIELDS.length || !KEY_FIELDS.every((f) => f in k))
      return `keys[${i}] is not {id, created_at, kcv}`;
    if (!isKeyId(k.id)) return `keys[${i}].id is not a keyring key id (8 characters of [A-Za-z0-9])`;
    if (ids.has(k.id)) return `key ${k.id} is listed twice`;
    if (!isSeconds(k.created_at)) return `keys[${i}].created_at is not a time in seconds`;
    if (typeof k.kcv !== 'string' || !/^[0-9a-f]{8}$/.test(k.kcv)) return `keys[${i}].kcv is not 8 lowercase hex`;
    ids.add(k.id);
  }
  const active = o['active'];
  if (active !== null && !(typeof active === 'string' && ids.has(active))) return 'the active key is not one of its keys';
  const binary: Record<string, Buffer> = {};
  for (const field of ['wrapped_key', 'nonce', 'ciphertext', 'tag']) {
    const value = o[field];
    if (typeof value !== 'string' || !BASE64URL.test(value)) return `${field} is not base64url`;
    binary[field] = Buffer.from(value, 'base64url');
  }
  if (binary['nonce']!.length !== NONCE_BYTES) return `nonce is not ${NONCE_BYTES} bytes`;
  if (binary['tag']!.length !== TAG_BYTES) return `tag is not ${TAG_BYTES} bytes`;
  return {
    purpose,
    created_at: o['created_at'] as number,
    active: active as string | null,
    recipient: o['recipient'],
    keys: keys as WrappedKeyringInfo['keys'],
    wrapped_key: binary['wrapped_key']!,
    nonce: binary['nonce']!,
    ciphertext: binary['ciphertext']!,
    tag: binary['tag']!,
  };
}

/** The metadata in the one order that is serialised, authenticated and shown. */
function canonicalInfo(info: WrappedKeyringInfo): { format: string; version: number } & WrappedKeyringInfo {
  return {
    format: FORMAT,
    version: VERSION,
    purpose: info.purpose,
    created_at: info.created_at,
    active: info.active,
    recipient: info.recipient,
    keys: info.keys.map((k) => ({ id: k.id, created_at: k.created_at, kcv: k.kcv })),
  };
}

function additionalData(info: WrappedKeyringInfo): Buffer {
  return Buffer.from(JSON.stringify(canonicalInfo(info)), 'utf8');
}

function splitKeys(envelope: Envelope, material: Buffer): KeyringKey[] {
  const keys: KeyringKey[] = [];
  for (const [i, meta] of envelope.keys.entries()) {
    // A copy: the caller keeps the keys, the concatenated buffer is wiped.
    const key = Buffer.from(material.subarray(i * KEY_BYTES, (i + 1) * KEY_BYTES));
    keys.push({ id: meta.id, key, created_at: meta.created_at });
    if (!timingSafeEqual(Buffer.from(keyCheckValue(key)), Buffer.from(meta.kcv))) {
      for (const k of keys) k.key.fill(0);
      throw invalid(`${capital(PURPOSE_NAMES[envelope.purpose])} is inconsistent: key ${meta.id} does not match its key check value ${meta.kcv}`);
    }
  }
  return keys;
}

function isSeconds(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function capital(text: string): string {
  return text[0]!.toUpperCase() + text.slice(1);
}

function invalid(message: string): PortcullisError {
  return new PortcullisError('PC_KEYRING_EXPORT_INVALID', { message });
}
