/**
 * Turns plugin configurations into running instances, once per runtime-state build: validated
 * (defaults applied) through the registry, created by the plugin's factory. A configuration that
 * cannot run (unknown plugin, invalid config, factory failure) fails closed: its instance rejects
 * every request it applies to with 500, because skipping it could skip an authentication. One
 * whose encrypted fields cannot be decrypted (its keyring key is missing) rejects with 503
 * PC_KEYRING_KEY_MISSING until the key is imported and the state rebuilt; one whose vault
 * references could not be resolved (secrets/prepare-plugin-secrets.ts) with 503
 * PC_VAULT_UNAVAILABLE until they resolve and the state is rebuilt.
 */
import type { PluginConfig } from '../entities/plugins.js';
import type { AccessOutcome, PluginDeps, PluginInstance } from '../plugins/plugin.js';
import type { PluginRegistry } from '../plugins/registry.js';
import type { PluginEntry } from './plugin-chain.js';
import { unreadableError } from '../store/unreadable.js';
import { preparedSecretsOf } from '../secrets/prepare-plugin-secrets.js';

/** The plugin instances of one runtime-state build, by configuration id. */
export interface PluginInstances {
  /** The entry built for a configuration id, or undefined when the configuration is not used. */
  get(configId: string): PluginEntry | undefined;
  /** Calls `close()` on every instance (errors are logged, never thrown). */
  close(): void;
}

const BROKEN: AccessOutcome = Object.freeze({ kind: 'reject', status: 500, code: 'PC_INTERNAL' });
const BROKEN_INSTANCE: PluginInstance = Object.freeze({ access: () => BROKEN });
const LOCKED: AccessOutcome = Object.freeze({ kind: 'reject', status: 503, code: 'PC_KEYRING_KEY_MISSING', headers: { 'retry-after': '30' } });
const LOCKED_INSTANCE: PluginInstance = Object.freeze({ access: () => LOCKED });
// The client learns only that a secret the configuration needs is unavailable; the log says which.
const VAULT_LOCKED: AccessOutcome = Object.freeze({ kind: 'reject', status: 503, code: 'PC_VAULT_UNAVAILABLE', headers: { 'retry-after': '30' } });
const VAULT_LOCKED_INSTANCE: PluginInstance = Object.freeze({ access: () => VAULT_LOCKED });

/** Instantiates every enabled configuration in `configs`. */
export function createPluginInstances(configs: readonly PluginConfig[], registry: PluginRegistry, deps: PluginDeps): PluginInstances {
  const entries = new Map<string, PluginEntry>();
  for (const config of configs) {
    if (!config.enabled) continue;
    entries.set(config.id, instantiate(config, registry, deps));
  }

  return {
    get: (configId) => entries.get(configId),
    close() {
      for (const entry of entries.values()) {
        try {
          entry.instance.close?.();
        } catch (err) {
          deps.logger.error({ plugin: entry.name, id: entry.configId, err }, 'plugin close failed');
        }
      }
    },
  };
}

function instantiate(config: PluginConfig, registry: PluginRegistry, deps: PluginDeps): PluginEntry {
  const definition = registry.get(config.name);
  const broken = (reason: string, err?: unknown, instance = BROKEN_INSTANCE): PluginEntry => {
    const status = instance === BROKEN_INSTANCE ? 500 : 503;
    deps.logger.error({ plugin: config.name, id: config.id, err }, `plugin configuration cannot run (${reason}): requests it applies to get ${status}`);
    // Runs before anything else on its scope: nothing may happen on a route whose plugin is broken.
    return { name: config.name, priority: Number.MAX_SAFE_INTEGER, configId: config.id, instance, runsOnPreflight: true };
  };
  const unreadable = unreadableError(config);
  if (unreadable) return broken(`${unreadable.code}: ${unreadable.message}`, undefined, LOCKED_INSTANCE);
  const prepared = preparedSecretsOf(config);
  if (prepared?.failure) return broken(`${prepared.failure.code}: ${prepared.failure.message}`, undefined, VAULT_LOCKED_INSTANCE);
  if (!definition) return broken('unknown plugin');
  const { config: withDefaults, errors } = registry.validateConfig(config.name, config.config);
  if (errors.length > 0) return broken(errors.map((e) => `${e.path} ${e.message}`).join('; '));
  try {
    return {
      name: config.name,
      priority: definition.priority,
      configId: config.id,
      instance: definition.create(withDefaults, prepared?.secrets ? { ...deps, secrets: prepared.secrets } : deps),
      runsOnPreflight: definition.runsOnPreflight?.(withDefaults) ?? true,
    };
  } catch (err) {
    return broken('its factory threw', err);
  }
}
