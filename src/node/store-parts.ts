/**
 * The one factory for everything that touches the database: the keyring (holder, cipher,
 * encryption counter, manager), the store with its prepare hooks and encrypted plugin fields, the
 * plugin registry, the API-key hashers and issuers, and the password hasher. The node
 * (node.ts) and every CLI command that opens a database (`apikeys`, `migrate`, `keyring`) build
 * their parts here, so a new part is wired once and the CLI can never write what the node could
 * not read (or write plaintext where the node would encrypt).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { createStore, type Store } from '../store/store.js';
import type { MigrateResult } from '../store/migrator.js';
import { createPluginRegistry, BUILTIN_PLUGINS, type PluginRegistry } from '../plugins/registry.js';
import { pluginPrepareHook } from './plugin-hooks.js';
import { basicAuthCredentialHook } from '../plugins/basic-auth/credential-hook.js';
import { createArgon2idHasher } from '../apikeys/hashing/argon2id-hasher.js';
import type { KeyHasher } from '../apikeys/hashing/key-hasher.js';
import { createKeyHashers, type KeyHashers } from '../apikeys/hashing/key-hashers.js';
import { createIssuerDirectory, type IssuerDirectory } from '../apikeys/lifecycle/issuers.js';
import { createKeyringHolder, type KeyringHolder, type KeyringKey } from '../keyring/keyring.js';
import { createKeyringCipher } from '../keyring/keyring-cipher.js';
import { createEncryptionCounter, type EncryptionCounter } from '../keyring/encryption-counter.js';
import { createKeyringManager, type KeyringManager } from '../keyring/keyring-manager.js';
import { createSecretResolver, type SecretResolver } from '../secrets/secret-resolver.js';
import type { VaultBackendFactory } from '../secrets/vault-backend.js';
import { BUILTIN_BACKENDS } from '../secrets/backends/index.js';
import { loadVaultDefinitions, vaultConfigReferences, vaultEncryptedPaths, vaultPrepareHook } from '../secrets/vault-store.js';
import { createStoreBackend } from '../secrets/backends/store/store-backend.js';
import type { PrepareHook } from '../store/dao-context.js';

export interface StorePartsOptions {
  readonly config: Config;
  /** Environment for `{vault://env/…}` references (the keyring's Vault token …). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  /** The process's id in cluster events; random when absent. */
  readonly nodeId?: string;
  /**
   * `apply`: run pending migrations (a node at start); `require`: refuse a database with pending
   * migrations (commands that read or write entities); `skip`: leave them (the `migrate` command).
   */
  readonly migrations: 'apply' | 'require' | 'skip';
  /** Load the keyring (default true). Only `migrate` opens a store without it (it never encrypts). */
  readonly openKeyring?: boolean;
  /** A `--workers` worker's keys, handed over by its primary over IPC: the key file is never read (keyring_manager.openHanded). */
  readonly handedKeyring?: readonly KeyringKey[];
  /** `pg_password` as written, when it held a vault reference: new connections get its current value, and a refused password is fetched again. */
  readonly pgPasswordField?: string;
  /** Told of every secret backend call (metrics). */
  readonly onVaultResolution?: (vault: string, outcome: string) => void;
  /** The secret backends (default: every one this build ships); tests add their own. */
  readonly backends?: readonly VaultBackendFactory[];
  /** Tests: the keyring's clock (ms) and how often it persists counts and checks key age (ms). */
  readonly keyringClock?: { readonly now?: () => number; readonly flushInterval?: number };
}

export interface StoreParts {
  readonly nodeId: string;
  readonly store: Store;
  readonly keyring: KeyringManager;
  readonly keyringHolder: KeyringHolder;
  readonly encryptionCounter: EncryptionCounter;
  readonly registry: PluginRegistry;
  readonly passwordHasher: KeyHasher;
  readonly keyHashers: KeyHashers;
  readonly issuers: IssuerDirectory;
  /** The secret backends this node knows. */
  readonly backends: readonly VaultBackendFactory[];
  /** The secret resolver over the built-in `env` vault, the config file's vaults and the database's. */
  readonly secrets: SecretResolver;
  /** Reads the vaults again (after a `vaults` event); true when a vault was added, changed or removed. */
  reloadVaults(): Promise<boolean>;
  /** What `migrations: 'apply'` applied. */
  readonly migrated: MigrateResult | null;
  /** Persists keyring counts, stops its timers, closes the store. */
  close(): Promise<void>;
}

/** A database that is not migrated, for commands that refuse to work on one. */
export class PendingMigrationsError extends Error {}

export async function openStoreParts(options: StorePartsOptions): Promise<StoreParts> {
  const { config, logger } = options;
  const nodeId = options.nodeId ?? randomUUID();
  const registry = createPluginRegistry(BUILTIN_PLUGINS);
  // The store backend needs the store, which needs the hooks: they look it up once both exist.
  let vaultHook: PrepareHook = () => ({ entity: {}, errors: [] });
  let vaultPaths: (entity: Record<string, unknown>) => readonly (readonly string[])[] = () => [];
  const backends = options.backends ?? BUILTIN_BACKENDS;
  const passwordHasher = createArgon2idHasher();
  const keyringHolder = createKeyringHolder();
  const encryptionCounter = createEncryptionCounter();
  const cipher = createKeyringCipher(keyringHolder, { onEncrypt: (id) => encryptionCounter.add(id) });
  let secretsForPassword: SecretResolver | undefined;
  const pgPasswordField = options.pgPasswordField;
  const store = createStore({
    config,
    nodeId,
    cipher,
    ...(pgPasswordField
      ? {
          pgPassword: async (fresh: boolean) => {
            if (!secretsForPassword) return config.pg_password;
            if (fresh) logger.warn({ reference: pgPasswordField }, 'PostgreSQL refused the password: fetching it again from its vault');
            return secretsForPassword.resolveField(pgPasswordField, { fresh });
          },
        }
      : {}),
    hooks: {
      plugins: pluginPrepareHook(registry),
      basicauth_credentials: basicAuthCredentialHook(passwordHasher),
      vaults: (entity) => vaultHook(entity),
    },
    nestedEncryption: {
      plugins: { field: 'config', paths: (entity) => registry.encryptedPaths(String(entity['name'])) },
      vaults: { field: 'config', paths: (entity) => vaultPaths(entity) },
    },
  });
  // The store backend reads the database this factory opened; the others only their own service.
  const allBackends = [...backends, createStoreBackend(store) as VaultBackendFactory];
  vaultHook = vaultPrepareHook(allBackends, new Set(config.vaults.map((v) => v.prefix)));
  vaultPaths = vaultEncryptedPaths(allBackends);
  const secrets = createSecretResolver({
    logger,
    env: options.env,
    backends: allBackends,
    maxValueSize: config.vault_max_value_size,
    ...(options.onVaultResolution ? { onResolution: options.onVaultResolution } : {}),
  });
  // The config file's vaults at once: `pg_password` may come from one before the database is open.
  secrets.setVaults(config.vaults.map((v) => ({ prefix: v.prefix, name: v.name, config: v.config, origin: 'config' as const })));
  secretsForPassword = secrets;
  const reloadVaults = async () => {
    const definitions = await loadVaultDefinitions(config, store, logger);
    const changed = secrets.setVaults(definitions).size > 0;
    // The env references in vaults' own configs, for the health API (the vault set reads them itself).
    const uses = vaultConfigReferences(definitions);
    secrets.setUses('vaults', uses);
    await Promise.allSettled([...uses.keys()].map((reference) => secrets.resolve(reference)));
    return changed;
  };
  const keyring = createKeyringManager({
    store,
    holder: keyringHolder,
    cipher,
    counter: encryptionCounter,
    config,
    env: options.env,
    logger,
    instanceId: nodeId,
    ...options.keyringClock,
  });
  let keyringOpened = false;
  const close = async () => {
    try {
      if (keyringOpened) await keyring.close();
    } finally {
      await secrets.close();
      await store.close();
    }
  };
  try {
    let migrated: MigrateResult | null = null;
    if (options.migrations === 'apply') {
      migrated = await store.migrate();
      if (migrated.error) throw new Error(`database migration failed: ${migrated.error.message}`);
    } else if (options.migrations === 'require') {
      const pending = await store.pendingMigrations();
      if (pending.length)
        throw new PendingMigrationsError(`the database is not migrated (${pending.join(', ')} pending): run \`portcullis migrate up\` or start a node first`);
    }
    if (options.openKeyring !== false) {
      if (options.handedKeyring) await keyring.openHanded(options.handedKeyring);
      else await keyring.open();
      keyringOpened = true;
    }
    // Vault entities are read once the keyring can decrypt their credentials.
    if (options.openKeyring !== false && options.migrations !== 'skip') await reloadVaults();
    return {
      nodeId,
      store,
      keyring,
      keyringHolder,
      encryptionCounter,
      registry,
      passwordHasher,
      keyHashers: createKeyHashers(config.api_keys.hash_algorithm, { bcryptCost: config.api_keys.bcrypt_cost }),
      issuers: createIssuerDirectory(config.api_keys.issuers),
      migrated,
      backends: allBackends,
      secrets,
      reloadVaults,
      close,
    };
  } catch (err) {
    await close().catch(() => {});
    throw err;
  }
}
