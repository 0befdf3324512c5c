/**
 * The keyring as a value: several 32-byte AES keys, one active. A keyring is immutable; every
 * change (generate, activate, import, remove) makes a new one, and the holder swaps it in one
 * assignment, so a reader never sees a half-made keyring. Key material lives in memory only.
 */
import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

export const KEY_ID_PATTERN = /^[A-Za-z0-9]{8}$/;
export const KEY_BYTES = 32;
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export interface KeyringKey {
  readonly id: string;
  /** 32 bytes of AES-256 key material. Never logged, never returned except by generate/export. */
  readonly key: Buffer;
  /** Seconds since the epoch. */
  readonly created_at: number;
}

export interface Keyring {
  readonly keys: ReadonlyMap<string, KeyringKey>;
  readonly active: string | null;
}

export const EMPTY_KEYRING: Keyring = Object.freeze({ keys: new Map(), active: null });

export function isKeyId(value: unknown): value is string {
  return typeof value === 'string' && KEY_ID_PATTERN.test(value);
}

/** 8 characters of [A-Za-z0-9] from the CSPRNG (47.6 bits: ids are names, not secrets). */
export function generateKeyId(): string {
  let id = '';
  for (let i = 0; i < 8; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

export function generateKey(nowSeconds: number, id: string = generateKeyId()): KeyringKey {
  return { id, key: randomBytes(KEY_BYTES), created_at: nowSeconds };
}

/** Key check value: the first 8 hex of HMAC-SHA256(key, "portcullis-kcv"). Compares keys without revealing them. */
export function keyCheckValue(key: Buffer): string {
  return createHmac('sha256', key).update('portcullis-kcv').digest('hex').slice(0, 8);
}

export function sameMaterial(a: KeyringKey, b: KeyringKey): boolean {
  return a.key.length === b.key.length && timingSafeEqual(a.key, b.key);
}

/** Adds keys (merge: an existing id keeps its material; the caller checks for conflicts first). */
export function withKeys(keyring: Keyring, keys: readonly KeyringKey[], active?: string | null): Keyring {
  const next = new Map(keyring.keys);
  for (const k of keys) if (!next.has(k.id)) next.set(k.id, k);
  const nextActive = active === undefined ? keyring.active : active;
  if (nextActive !== null && !next.has(nextActive)) throw new Error(`cannot activate ${nextActive}: not in the keyring`);
  return Object.freeze({ keys: next, active: nextActive });
}

export function withoutKey(keyring: Keyring, id: string): Keyring {
  const next = new Map(keyring.keys);
  next.delete(id);
  return Object.freeze({ keys: next, active: keyring.active === id ? null : keyring.active });
}

/** Holds the current keyring; `replace` swaps it atomically and tells listeners. */
export interface KeyringHolder {
  current(): Keyring;
  replace(next: Keyring): void;
  onChange(listener: (keyring: Keyring) => void): () => void;
}

export function createKeyringHolder(initial: Keyring = EMPTY_KEYRING): KeyringHolder {
  let keyring = initial;
  const listeners = new Set<(k: Keyring) => void>();
  return {
    current: () => keyring,
    replace(next) {
      keyring = next;
      for (const l of listeners) l(next);
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
