/**
 * What operators can do with the keyring: the one interface behind the Admin API's `/keyring`
 * endpoints and the `portcullis keyring` commands (which call it on a stopped node's database or
 * through a running node's Admin API). Implemented in keyring-manager.ts.
 */

/** One key as listed: never its material. */
export interface KeyView {
  readonly id: string;
  /** Key check value: first 8 hex of HMAC-SHA256(key, "portcullis-kcv"). */
  readonly kcv: string;
  /** Seconds since the epoch. */
  readonly created_at: number;
  readonly active: boolean;
  /** Encryptions made with this key (persisted, all nodes together). */
  readonly encryptions: number;
  /** Whether this node holds the key's material. */
  readonly held: boolean;
}

export interface KeyringStatus {
  readonly strategy: 'cluster' | 'vault';
  readonly ids: readonly string[];
  readonly active: string | null;
  readonly keys: readonly KeyView[];
  /** Keys the database knows of (metadata, or stored values) that this node does not hold. */
  readonly missing: readonly string[];
  /** True when the node holds every key the database uses and there is an active key. */
  readonly complete: boolean;
}

export interface KeyringUsage {
  /** Stored encrypted values per key id, in total and by entity (table). */
  readonly keys: Readonly<Record<string, { readonly total: number; readonly by_entity: Readonly<Record<string, number>> }>>;
  /** Values of encrypted fields still stored in plaintext (written before encryption existed). */
  readonly plaintext: number;
}

export interface RewrapProgress {
  readonly status: 'idle' | 'running' | 'done' | 'failed';
  /** The key every value is re-encrypted with (the active key when the rewrap started). */
  readonly target_key: string | null;
  readonly total: number;
  readonly done: number;
  /** Values that could not be re-encrypted (their key is missing or they fail their tag); left as they are. */
  readonly failed: number;
  /** Values per second since the start, and seconds left at that rate (null when unknown). */
  readonly rate: number | null;
  readonly eta_seconds: number | null;
  readonly started_at: number | null;
  readonly updated_at: number | null;
  readonly finished_at: number | null;
}

export interface KeyringService {
  status(): Promise<KeyringStatus>;
  /** Makes a new key (not active). Returns its material once, base64. */
  generate(): Promise<{ readonly id: string; readonly key: string }>;
  /** Makes a held key the active one. PC_KEYRING_KEY_UNKNOWN when this node does not hold it. */
  activate(id: string): Promise<void>;
  /** The keyring (every held key, the active id) wrapped under `keyring_public_key`: an opaque string. */
  exportKeyring(): Promise<{ readonly data: string }>;
  /**
   * Merges an export (needs `keyring_private_key`): adds keys this node lacks; never removes a key
   * and changes the active key only when `activate` is set. PC_KEYRING_KEY_CONFLICT for an id held
   * with different material (nothing is imported then).
   */
  importKeyring(
    data: string,
    options?: { readonly activate?: boolean },
  ): Promise<{ readonly imported: readonly string[]; readonly existing: readonly string[] }>;
  /** Adds one key given as `{id, key}` (key: 32 bytes, base64). */
  importRaw(input: { readonly id: string; readonly key: string }): Promise<void>;
  /** Removes a key. PC_KEYRING_KEY_IN_USE while it is active or stored values use it, unless `force`. */
  remove(id: string, options?: { readonly force?: boolean }): Promise<void>;
  usage(): Promise<KeyringUsage>;
  /** Restores keys from the database's recovery copy with the recovery private key (PEM). */
  recover(privateKeyPem: string): Promise<{ readonly recovered: readonly string[]; readonly not_recovered: readonly string[] }>;
  /** `keyring_strategy: vault`: reads the keys from Vault again. */
  vaultSync(): Promise<KeyringStatus>;
  /** Starts re-encrypting every stored value with the active key (or returns the running one). */
  startRewrap(): Promise<RewrapProgress>;
  rewrapProgress(): Promise<RewrapProgress>;
}

/** The progress of a keyring that has never been rewrapped. */
export const IDLE_REWRAP: RewrapProgress = Object.freeze({
  status: 'idle',
  target_key: null,
  total: 0,
  done: 0,
  failed: 0,
  rate: null,
  eta_seconds: null,
  started_at: null,
  updated_at: null,
  finished_at: null,
});
