/**
 * Where a node keeps key material with `keyring_strategy: cluster`: `keyring_blob_path`, the
 * keyring wrapped under `keyring_public_key` (RSA-OAEP, see keyring-wrap.ts), opened at start with
 * `keyring_private_key`. In the embedded default neither key is configured: the node creates an
 * RSA pair beside the database (files 0600) at first start. That protects a stolen database, not a
 * stolen data folder (docs/keyring.md says how to move the private key offline).
 *
 * Saving merges with what the file holds now (another process on the same data folder may have
 * added a key): a key leaves the file only when it is removed explicitly. Callers hold the keyring
 * lock (keyring-metadata.ts), which serialises savers on one database.
 *
 * With `keyring_public_key` set and no `keyring_private_key` (the private key kept offline), the
 * node keeps no blob: it could not open one. Its keys live in memory and in the database's
 * recovery copy, which `keyring_recovery_public_key` must then enable; after a restart the keyring
 * is incomplete until an operator recovers it (`POST /keyring/recover`).
 */
import { dirname, join } from 'node:path';
import type { Config } from '../config/schema.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import type { Keyring, KeyringKey } from './keyring.js';
import { unwrapKeyring, wrapKeyring } from './keyring-wrap.js';
import { readBlobFile, writeBlobFile } from './keyring-blob-file.js';
import { ensureKeyPair, readPem } from './rsa-key-pair.js';

export interface LocalMaterial {
  readonly blobPath: string;
  readonly publicKeyPem: string;
  readonly privateKeyPem: string | null;
  /** Whether this start created the RSA pair (first start of the embedded default). */
  readonly createdKeyPair: boolean;
  /** The keys and active id in the blob file (none when the file is absent or there is no private key). */
  load(): { keys: KeyringKey[]; active: string | null };
  /** Writes `keyring` merged with the file's keys, minus `removed`. */
  save(keyring: Keyring, nowSeconds: number, removed?: string): void;
}

export type KeyringPathsConfig = Pick<Config, 'sqlite_path' | 'keyring_blob_path' | 'keyring_public_key' | 'keyring_private_key'>;

/** The data folder: the folder of `sqlite_path` (also with PostgreSQL, where it holds only keyring files). */
export function dataFolder(config: Pick<Config, 'sqlite_path'>): string {
  return config.sqlite_path === ':memory:' ? './portcullis-data' : dirname(config.sqlite_path);
}

export function openLocalMaterial(config: KeyringPathsConfig & Pick<Config, 'keyring_recovery_public_key'>): LocalMaterial {
  const folder = dataFolder(config);
  const blobPath = config.keyring_blob_path ?? join(folder, 'keyring.blob');
  let publicKeyPem: string;
  let privateKeyPem: string | null;
  let createdKeyPair = false;
  if (config.keyring_public_key === undefined && config.keyring_private_key === undefined) {
    const pair = ensureKeyPair(join(folder, 'keyring-public.pem'), join(folder, 'keyring-private.pem'));
    publicKeyPem = pair.publicKeyPem;
    privateKeyPem = pair.privateKeyPem;
    createdKeyPair = pair.created;
  } else {
    if (config.keyring_public_key === undefined)
      throw new Error('keyring_private_key is set but keyring_public_key is not: set both (or neither, for the generated pair)');
    publicKeyPem = readPem(config.keyring_public_key, 'keyring_public_key');
    privateKeyPem = config.keyring_private_key === undefined ? null : readPem(config.keyring_private_key, 'keyring_private_key');
    if (privateKeyPem === null && config.keyring_recovery_public_key === undefined) {
      throw new PortcullisError('PC_KEYRING_NOT_CONFIGURED', {
        message:
          'keyring_public_key is set without keyring_private_key and without keyring_recovery_public_key: the keys could not be read back after a restart. Set keyring_private_key, or keyring_recovery_public_key to recover them (docs/keyring.md)',
      });
    }
  }

  const load = () => {
    const data = privateKeyPem === null ? null : readBlobFile(blobPath);
    if (data === null) return { keys: [], active: null };
    const opened = unwrapKeyring(data, privateKeyPem!, { purpose: 'blob' });
    return { keys: opened.keys, active: opened.active };
  };

  return {
    blobPath,
    publicKeyPem,
    privateKeyPem,
    createdKeyPair,
    load,
    save(keyring, nowSeconds, removed) {
      if (privateKeyPem === null) return;
      const onDisk = load().keys;
      const keys = new Map<string, KeyringKey>();
      for (const k of onDisk) keys.set(k.id, k);
      for (const k of keyring.keys.values()) keys.set(k.id, k);
      if (removed) keys.delete(removed);
      const active = keyring.active !== null && keys.has(keyring.active) ? keyring.active : null;
      writeBlobFile(blobPath, wrapKeyring({ keys: [...keys.values()], active }, publicKeyPem, { purpose: 'blob', nowSeconds }));
    },
  };
}
