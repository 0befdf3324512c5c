/**
 * Vault entities in the store: the prepare hook that validates one on write (its backend's schema
 * plus the common settings), the paths of its config the keyring encrypts (the backend's
 * credential fields), and loading every vault a node knows: the config file's, then the database's.
 */
import type { Logger } from 'pino';
import type { PrepareHook } from '../store/dao-context.js';
import type { Store } from '../store/store.js';
import type { Config } from '../config/schema.js';
import { flaggedPaths } from '../schema/flagged-paths.js';
import { unreadableError } from '../store/unreadable.js';
import type { VaultBackendFactory } from './vault-backend.js';
import { validateVaultDefinition, type VaultDefinition } from './vault-set.js';
import { referenceSites } from './reference-paths.js';
import { findFieldReference } from './reference.js';

/** Prefixes that would shadow an Admin API path under `/vaults/`. */
const RESERVED_PREFIXES = new Set(['references']);

export function vaultPrepareHook(backends: readonly VaultBackendFactory[], configPrefixes: ReadonlySet<string>): PrepareHook {
  return (entity) => {
    const prefix = String(entity['prefix']);
    const { config, errors } = validateVaultDefinition(
      { prefix, name: String(entity['name']), config: (entity['config'] as Record<string, unknown> | null) ?? {} },
      backends,
    );
    if (RESERVED_PREFIXES.has(prefix)) errors.push({ path: 'prefix', message: `"${prefix}" is reserved (an Admin API path)` });
    if (configPrefixes.has(prefix)) errors.push({ path: 'prefix', message: `"${prefix}" is the prefix of a vault in the configuration file` });
    return { entity: { ...entity, config }, errors };
  };
}

/** The config paths of a vault entity that are kept encrypted: its backend's `encrypted` fields. */
export function vaultEncryptedPaths(backends: readonly VaultBackendFactory[]): (entity: Record<string, unknown>) => readonly (readonly string[])[] {
  const byName = new Map(backends.map((b) => [b.name, flaggedPaths(b.configSchema, 'encrypted')] as const));
  return (entity) => byName.get(String(entity['name'])) ?? [];
}

/** The vaults of the config file, then those of the database (tolerant: an unreadable one is left out and logged). */
export async function loadVaultDefinitions(config: Pick<Config, 'vaults'>, store: Pick<Store, 'vaults'>, logger: Logger): Promise<VaultDefinition[]> {
  const fromConfig: VaultDefinition[] = config.vaults.map((v) => ({ prefix: v.prefix, name: v.name, config: v.config, origin: 'config' }));
  const taken = new Set(fromConfig.map((v) => v.prefix));
  const fromDatabase: VaultDefinition[] = [];
  for (const vault of await store.vaults.listAll(undefined, { tolerant: true })) {
    const unreadable = unreadableError(vault);
    if (unreadable) {
      logger.error({ vault: vault.prefix, code: unreadable.code }, 'vault left out: its config cannot be decrypted');
      continue;
    }
    if (taken.has(vault.prefix)) {
      logger.warn({ vault: vault.prefix }, 'vault entity ignored: the configuration file defines this prefix');
      continue;
    }
    fromDatabase.push({ prefix: vault.prefix, name: vault.name, config: vault.config, origin: 'database' });
  }
  return [...fromConfig, ...fromDatabase];
}

/** The references in vaults' own configs (`{vault://env/…}`) → where (`vaults/<prefix>:config.<key>`). */
export function vaultConfigReferences(definitions: readonly VaultDefinition[]): Map<string, string[]> {
  const uses = new Map<string, string[]>();
  for (const definition of definitions) {
    for (const site of referenceSites(definition.config)) {
      const found = findFieldReference(site.value);
      if (found.kind !== 'reference') continue;
      uses.set(found.reference, [...(uses.get(found.reference) ?? []), `vaults/${definition.prefix}:config.${site.path.join('.')}`]);
    }
  }
  return uses;
}
