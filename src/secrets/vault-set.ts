/**
 * The vaults a node knows, by prefix: the built-in `env`, the config file's `vaults:` and the
 * vault entities of the database. Each is validated against its backend's schema plus the common
 * settings, and its backend is created on first use (so a vault that cannot work — a CA file that
 * is gone — fails its references with a clear error instead of stopping the node).
 *
 * A vault's own config may hold `{vault://env/…}` references (a Vault token from the environment);
 * references to other vaults are refused there, so vaults never depend on each other.
 */
import type { Logger } from 'pino';
import Value from 'typebox/value';
import type { FieldError } from '../errors/portcullis-error.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import { createValidator, type Validator } from '../schema/validator.js';
import type { VaultBackend, VaultBackendFactory } from './vault-backend.js';
import { DEFAULT_VAULT_SETTINGS, splitVaultConfig, VaultSettingsSchema, type VaultSettings } from './vault-settings.js';
import { findFieldReference } from './reference.js';
import { resolveEnvField } from './backends/env/env-backend.js';

export interface VaultDefinition {
  readonly prefix: string;
  /** The backend (`hcv`, `aws` …). */
  readonly name: string;
  /** Backend keys and settings (`ttl` …), as stored: references in it are resolved here. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly origin: 'builtin' | 'config' | 'database';
}

export interface ConfiguredVault {
  readonly definition: VaultDefinition;
  readonly factory: VaultBackendFactory;
  readonly settings: VaultSettings;
  /** The backend, created on first call; throws PC_VAULT_UNAVAILABLE when it cannot be. */
  backend(): VaultBackend;
}

export interface VaultSet {
  get(prefix: string): ConfiguredVault | undefined;
  list(): readonly ConfiguredVault[];
  /** Replaces every non-built-in vault; returns the prefixes added, removed or changed. */
  replace(definitions: readonly VaultDefinition[]): Set<string>;
  close(): Promise<void>;
}

export const BUILTIN_ENV_PREFIX = 'env';
export const VAULT_PREFIX_PATTERN = '^[a-z0-9][a-z0-9_-]{0,63}$';

export interface VaultSetOptions {
  readonly logger: Logger;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly backends: readonly VaultBackendFactory[];
}

const settingsValidator = createValidator(VaultSettingsSchema);
const backendValidators = new WeakMap<VaultBackendFactory, Validator<unknown>>();

/** Checks a definition: prefix, known backend, its config against the backend's schema and the settings. */
export function validateVaultDefinition(
  def: { prefix: string; name: string; config: Readonly<Record<string, unknown>> },
  backends: readonly VaultBackendFactory[],
): { config: Record<string, unknown>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (!new RegExp(VAULT_PREFIX_PATTERN).test(def.prefix))
    errors.push({ path: 'prefix', message: 'must be 1–64 of a-z 0-9 _ - starting with a letter or digit' });
  if (def.prefix === BUILTIN_ENV_PREFIX) errors.push({ path: 'prefix', message: '"env" is the built-in environment vault' });
  const factory = backends.find((b) => b.name === def.name);
  if (!factory) {
    errors.push({ path: 'name', message: `no vault backend named "${def.name}" (known: ${backends.map((b) => b.name).join(', ')})` });
    return { config: { ...def.config }, errors };
  }
  const { settings, backend } = splitVaultConfig(def.config);
  const withSettings = Value.Default(VaultSettingsSchema, structuredClone(settings)) as Record<string, unknown>;
  errors.push(...settingsValidator.errors(withSettings, 'config'));
  let validator = backendValidators.get(factory);
  if (!validator) backendValidators.set(factory, (validator = createValidator(factory.configSchema)));
  const withDefaults = Value.Default(factory.configSchema, structuredClone(backend)) as Record<string, unknown>;
  errors.push(...validator.errors(withDefaults, 'config'));
  for (const [key, value] of Object.entries(withDefaults)) {
    if (typeof value !== 'string') continue;
    const found = findFieldReference(value);
    if (found.kind === 'malformed') errors.push({ path: `config.${key}`, message: found.problem });
    else if (found.kind === 'reference' && found.parsed.prefix !== BUILTIN_ENV_PREFIX) {
      errors.push({ path: `config.${key}`, message: "a vault's config may only reference the environment ({vault://env/…})" });
    }
  }
  return { config: { ...withDefaults, ...withSettings }, errors };
}

export function createVaultSet(options: VaultSetOptions): VaultSet {
  const { logger } = options;
  const byPrefix = new Map<string, ConfiguredVault & { close(): Promise<void> }>();

  const configure = (definition: VaultDefinition) => {
    const factory = options.backends.find((b) => b.name === definition.name);
    if (!factory) {
      logger.error({ vault: definition.prefix, backend: definition.name }, 'vault ignored: no such backend');
      return;
    }
    const { settings, backend: backendConfig } = splitVaultConfig(definition.config);
    const vaultSettings = { ...DEFAULT_VAULT_SETTINGS, ...settings } as VaultSettings;
    let created: VaultBackend | undefined;
    let failure: string | undefined;
    byPrefix.set(definition.prefix, {
      definition,
      factory,
      settings: vaultSettings,
      backend() {
        if (created) return created;
        if (failure === undefined) {
          try {
            const config = Value.Default(factory.configSchema, withEnvReferences(backendConfig, options.env, definition.prefix)) as Record<string, unknown>;
            created = factory.create(config, {
              logger: logger.child({ vault: definition.prefix }),
              env: options.env,
              timeout: vaultSettings.timeout,
              vault: definition.prefix,
            });
            return created;
          } catch (err) {
            failure = err instanceof PortcullisError ? err.message : `its ${factory.name} backend could not be set up (${(err as Error).message})`;
            logger.error({ vault: definition.prefix, problem: failure }, 'vault cannot be used');
          }
        }
        throw new PortcullisError('PC_VAULT_UNAVAILABLE', { message: `vault "${definition.prefix}": ${failure}` });
      },
      async close() {
        await created?.close?.();
      },
    });
  };

  configure({ prefix: BUILTIN_ENV_PREFIX, name: 'env', config: {}, origin: 'builtin' });

  return {
    get: (prefix) => byPrefix.get(prefix),
    list: () => [...byPrefix.values()],
    replace(definitions) {
      const changed = new Set<string>();
      const next = new Map(definitions.filter((d) => d.prefix !== BUILTIN_ENV_PREFIX).map((d) => [d.prefix, d]));
      for (const [prefix, vault] of byPrefix) {
        if (vault.definition.origin === 'builtin') continue;
        const replacement = next.get(prefix);
        if (replacement && sameDefinition(replacement, vault.definition)) {
          next.delete(prefix);
          continue;
        }
        changed.add(prefix);
        byPrefix.delete(prefix);
        vault.close().catch((err) => logger.warn({ vault: prefix, err: (err as Error).message }, 'closing a vault backend failed'));
      }
      for (const definition of next.values()) {
        changed.add(definition.prefix);
        configure(definition);
      }
      return changed;
    },
    async close() {
      await Promise.allSettled([...byPrefix.values()].map((v) => v.close()));
    },
  };
}

function sameDefinition(a: VaultDefinition, b: VaultDefinition): boolean {
  return a.name === b.name && a.origin === b.origin && JSON.stringify(a.config) === JSON.stringify(b.config);
}

/** The backend config with its `{vault://env/…}` references replaced by the variables' values. */
function withEnvReferences(config: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>, prefix: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config))
    out[key] = typeof value === 'string' ? resolveEnvField(value, env, `vault "${prefix}": config.${key}`) : value;
  return out;
}
