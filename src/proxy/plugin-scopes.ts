/**
 * Which plugin configurations apply to a request, by Kong's precedence: for each plugin name the
 * most specific configuration wins, in this order
 *   route+service+consumer > route+consumer > service+consumer > route+service
 *   > consumer > route > service > global.
 * A configuration applies when every entity it names is the request's (its route, its route's
 * service, its authenticated consumer). Disabled configurations never apply.
 */
import type { PluginConfig } from '../entities/plugins.js';

/** Specificity of a configuration's scope; higher wins. */
export function scopeRank(config: PluginConfig): number {
  const r = config.route !== null;
  const s = config.service !== null;
  if (config.consumer !== null) return r && s ? 8 : r ? 7 : s ? 6 : 4;
  return r && s ? 5 : r ? 3 : s ? 2 : 1;
}

/** Resolution of the winning configuration per plugin name for a route (and a consumer). */
export interface PluginScopes {
  /** The winning configuration per plugin name among those without a consumer. */
  forRoute(routeId: string, serviceId: string | null): PluginConfig[];
  /**
   * The winning configurations once `consumerId` is authenticated, or null when no configuration
   * names that consumer for this route (the route's own list then stands).
   */
  forConsumer(routeId: string, serviceId: string | null, consumerId: string): PluginConfig[] | null;
  /** Whether `consumerId` has any configuration of its own (most consumers have none). */
  hasOwn(consumerId: string): boolean;
}

/** Indexes the enabled `configs` by the entity each one is attached to. */
export function createPluginScopes(configs: readonly PluginConfig[]): PluginScopes {
  const general: PluginConfig[] = [];
  const byConsumer = new Map<string, PluginConfig[]>();
  for (const config of configs) {
    if (!config.enabled) continue;
    if (config.consumer === null) general.push(config);
    else {
      const list = byConsumer.get(config.consumer.id);
      if (list) list.push(config);
      else byConsumer.set(config.consumer.id, [config]);
    }
  }

  return {
    forRoute: (routeId, serviceId) => pickWinners(general, routeId, serviceId, null),
    hasOwn: (consumerId) => byConsumer.has(consumerId),
    forConsumer(routeId, serviceId, consumerId) {
      const own = byConsumer.get(consumerId);
      if (!own || !own.some((c) => applies(c, routeId, serviceId, consumerId))) return null;
      return pickWinners([...general, ...own], routeId, serviceId, consumerId);
    },
  };
}

function pickWinners(candidates: readonly PluginConfig[], routeId: string, serviceId: string | null, consumerId: string | null): PluginConfig[] {
  const best = new Map<string, PluginConfig>();
  for (const config of candidates) {
    if (!applies(config, routeId, serviceId, consumerId)) continue;
    const current = best.get(config.name);
    if (!current || scopeRank(config) > scopeRank(current)) best.set(config.name, config);
  }
  return [...best.values()];
}

function applies(config: PluginConfig, routeId: string, serviceId: string | null, consumerId: string | null): boolean {
  return (
    (config.route === null || config.route.id === routeId) &&
    (config.service === null || config.service.id === serviceId) &&
    (config.consumer === null || config.consumer.id === consumerId)
  );
}
