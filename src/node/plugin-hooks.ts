/**
 * The store's prepare hook for plugin configurations: the plugin must be installed, its config
 * must pass the plugin's own schema (defaults filled in), and an authentication plugin cannot be
 * scoped to a consumer (the consumer is what it finds).
 */
import type { PrepareHook } from '../store/dao-context.js';
import type { PluginRegistry } from '../plugins/registry.js';

export function pluginPrepareHook(registry: PluginRegistry): PrepareHook {
  return (entity) => {
    const name = String(entity['name']);
    const definition = registry.get(name);
    if (!definition) {
      const known = registry
        .list()
        .map((d) => d.name)
        .join(', ');
      return { entity, errors: [{ path: 'name', message: `plugin "${name}" is not installed (installed: ${known})` }] };
    }
    if (definition.isAuthentication && entity['consumer']) {
      return { entity, errors: [{ path: 'consumer', message: `${name} authenticates consumers, so it cannot be scoped to one` }] };
    }
    const { config, errors } = registry.validateConfig(name, (entity['config'] as Record<string, unknown> | null) ?? {});
    return { entity: { ...entity, config }, errors };
  };
}
