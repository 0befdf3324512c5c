/**
 * The declarative deps of a node's store parts: the same encrypted-field paths and prepare hooks
 * the store was built with (node/store-parts.ts), so a diff sees configs as the store writes them.
 */
import type { Config } from '../config/schema.js';
import type { StoreParts } from '../node/store-parts.js';
import { pluginPrepareHook } from '../node/plugin-hooks.js';
import { vaultEncryptedPaths, vaultPrepareHook } from '../secrets/vault-store.js';
import type { DeclarativeDeps } from './apply-document.js';

export function declarativeDeps(parts: Pick<StoreParts, 'store' | 'registry' | 'backends'>, config: Pick<Config, 'vaults'>): DeclarativeDeps {
  const vaultPaths = vaultEncryptedPaths(parts.backends);
  return {
    store: parts.store,
    nested: {
      plugins: { field: 'config', paths: (entity) => parts.registry.encryptedPaths(String(entity['name'])) },
      vaults: { field: 'config', paths: (entity) => vaultPaths(entity) },
    },
    hooks: {
      plugins: pluginPrepareHook(parts.registry),
      vaults: vaultPrepareHook(parts.backends, new Set(config.vaults.map((v) => v.prefix))),
    },
  };
}
