/**
 * The asynchronous prepare step before the proxy state's synchronous build: every plugin
 * configuration whose referenceable fields hold `{vault://…}` references gets a copy with the values
 * in their place, and carries (under PREPARED_SECRETS) what its instance needs for rotation on
 * failure — the references by path and a `refetch` — or the failure that makes it fail closed.
 * The build never calls a backend: it only reads what was prepared here.
 */
import type { PluginConfig } from '../entities/plugins.js';
import type { PluginSecrets } from '../plugins/plugin.js';
import type { PluginRegistry } from '../plugins/registry.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import { unreadableError } from '../store/unreadable.js';
import type { SecretResolver } from './secret-resolver.js';
import { findFieldReference } from './reference.js';
import { isFlaggedPath, referenceSites } from './reference-paths.js';

export const PREPARED_SECRETS: unique symbol = Symbol('portcullis.preparedSecrets');

export interface PreparedSecrets {
  /** Given to the instance as `deps.secrets`; null when the config held no reference. */
  readonly secrets: PluginSecrets | null;
  /** Set when a reference could not be resolved: the instance then refuses every request with it. */
  readonly failure: PortcullisError | null;
}

export function preparedSecretsOf(config: PluginConfig): PreparedSecrets | undefined {
  return (config as { [PREPARED_SECRETS]?: PreparedSecrets })[PREPARED_SECRETS];
}

export interface PreparedPlugins {
  readonly plugins: PluginConfig[];
  /** Each reference in use → where (`plugins/<id>:config.password`), for the resolver's rotation and health. */
  readonly uses: Map<string, string[]>;
}

/** Resolves the references of every enabled configuration; the others pass through unchanged. */
export async function preparePluginSecrets(plugins: readonly PluginConfig[], resolver: SecretResolver, registry: PluginRegistry): Promise<PreparedPlugins> {
  const uses = new Map<string, string[]>();
  const prepared = await Promise.all(
    plugins.map(async (plugin) => {
      if (!plugin.enabled || unreadableError(plugin)) return plugin;
      const sites = referenceSites(plugin.config);
      if (sites.length === 0) return plugin;
      const referenceable = registry.referenceablePaths(plugin.name);
      const references = new Map<string, string>();
      const config = structuredClone(plugin.config) as Record<string, unknown>;
      let failure: PortcullisError | null = null;
      await Promise.all(
        sites.map(async (site) => {
          const path = site.path.join('.');
          const found = findFieldReference(site.value);
          if (found.kind === 'reference') {
            references.set(path, site.value);
            uses.set(found.reference, [...(uses.get(found.reference) ?? []), `plugins/${plugin.id}:config.${path}`]);
          }
          try {
            if (!isFlaggedPath(site.path, referenceable)) {
              throw new PortcullisError('PC_VAULT_UNRESOLVED', { message: `config.${path} holds a vault reference but does not accept one` });
            }
            setAt(config, site.path, await resolver.resolveField(site.value));
          } catch (err) {
            failure ??= err instanceof PortcullisError ? err : new PortcullisError('PC_VAULT_UNAVAILABLE', { message: `config.${path}: resolution failed` });
          }
        }),
      );
      const secrets: PluginSecrets = {
        references,
        async refetch(paths) {
          const chosen = paths ?? [...references.keys()];
          const values = await Promise.all(
            chosen.map(async (p) => {
              const value = references.get(p);
              if (value === undefined) throw new Error(`config.${p} holds no vault reference`);
              return [p, await resolver.resolveField(value, { fresh: true })] as const;
            }),
          );
          return new Map(values);
        },
      };
      const extra: PreparedSecrets = { secrets, failure };
      return Object.defineProperty({ ...plugin, config }, PREPARED_SECRETS, { value: extra, enumerable: false }) as PluginConfig;
    }),
  );
  return { plugins: prepared, uses };
}

function setAt(target: Record<string, unknown>, path: readonly string[], value: string): void {
  let node: Record<string, unknown> = target;
  for (const part of path.slice(0, -1)) node = node[part] as Record<string, unknown>;
  node[path.at(-1)!] = value;
}
