/**
 * The plugin chain of each route, and of each route once a consumer with configurations of its
 * own is authenticated. A chain depends only on the route (its id and its service's id) and on the
 * plugin configurations; the configurations are fixed for the states that share these chains (a
 * plugin or consumer change builds new ones), so chains are kept per route object: a route changed
 * through the Admin API is a new object and gets its own, and the states a request in flight still
 * holds keep finding theirs.
 */
import type { Route } from '../entities/routes.js';
import type { PluginConfig } from '../entities/plugins.js';
import type { RouteMatch } from './router.js';
import { createPluginChain, type PluginChain, type PluginEntry } from './plugin-chain.js';
import type { PluginInstances } from './plugin-instances.js';
import { createPluginScopes } from './plugin-scopes.js';

export interface RouteChains {
  /** The chain of `route` before any consumer is known (made now if it was not yet). */
  forRoute(route: Route): PluginChain;
  /** The chain once `consumerId` is authenticated: consumer-scoped configurations replace same-named ones. */
  forConsumer(match: RouteMatch, consumerId: string): PluginChain;
}

/** Chains over the usable, enabled `configs` and their `instances`. */
export function createRouteChains(configs: readonly PluginConfig[], instances: PluginInstances): RouteChains {
  const scopes = createPluginScopes(configs);
  const toChain = (chosen: readonly PluginConfig[]) => createPluginChain(entriesOf(chosen, instances));
  const byRoute = new WeakMap<Route, PluginChain>();
  const byConsumer = new WeakMap<Route, Map<string, PluginChain>>();

  const forRoute = (route: Route): PluginChain => {
    let chain = byRoute.get(route);
    if (chain === undefined) byRoute.set(route, (chain = toChain(scopes.forRoute(route.id, route.service?.id ?? null))));
    return chain;
  };

  return {
    forRoute,
    forConsumer(match, consumerId) {
      // The common case, on every authenticated request: no configuration names this consumer.
      if (!scopes.hasOwn(consumerId)) return forRoute(match.route);
      let chains = byConsumer.get(match.route);
      if (chains === undefined) byConsumer.set(match.route, (chains = new Map()));
      let chain = chains.get(consumerId);
      if (chain === undefined) {
        const chosen = scopes.forConsumer(match.route.id, match.service?.id ?? null, consumerId);
        chain = chosen === null ? forRoute(match.route) : toChain(chosen);
        chains.set(consumerId, chain);
      }
      return chain;
    },
  };
}

function entriesOf(configs: readonly PluginConfig[], instances: PluginInstances): PluginEntry[] {
  const entries: PluginEntry[] = [];
  for (const config of configs) {
    const entry = instances.get(config.id);
    if (entry) entries.push(entry);
  }
  return entries;
}
