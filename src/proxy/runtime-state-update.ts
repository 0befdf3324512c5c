/**
 * Derives the next runtime state from the current one when only routes and services changed: the
 * router is updated route by route (`UpdatableRouter.update`), everything else (plugin instances
 * and chains, certificates, upstream TLS tables) is shared. The answer is the state a full build
 * over the changed entities would give, or null whenever that is not certain — the caller then
 * builds in full (fail closed):
 * - `previous` is not the newest state of its lineage (a lineage only moves forward);
 * - a route names a service the state does not know, or a removed service still has routes;
 * - a changed service presents a client certificate or trusts CA certificates (its TLS settings
 *   are computed, and their problems logged, by a full build);
 * - the lineage has taken many updates since its build: a full build then drops the removed
 *   entries the router still holds (bounded by the route count, so the rebuilds cost O(1) per update).
 */
import type { Route } from '../entities/routes.js';
import { usesTls, type Service } from '../entities/services.js';
import type { RouteWithService } from './routing/route-index.js';
import { assembleRuntimeState, lineageOf, type RuntimeLineage, type RuntimeState } from './runtime-state.js';

/** The rows that changed, as read from the store after the change; a removed row is given by id. */
export interface RuntimeChanges {
  readonly services: { readonly changed: readonly Service[]; readonly removed: readonly string[] };
  readonly routes: { readonly changed: readonly Route[]; readonly removed: readonly string[] };
}

/** Updates (plus removed router entries) a lineage takes before a full build, at least; or twice its routes. */
export const MIN_UPDATES_BEFORE_FULL_BUILD = 1000;

/** The state after `changes`, or null when a full build must make it. */
export function updateRuntimeState(previous: RuntimeState, changes: RuntimeChanges): RuntimeState | null {
  const found = lineageOf(previous);
  if (found === undefined || found.lineage.head !== previous) return null;
  const { lineage, router } = found;
  if (lineage.updates + router.removedEntries >= Math.max(MIN_UPDATES_BEFORE_FULL_BUILD, 2 * lineage.routes.size)) return null;
  if (!applicable(lineage, changes)) return null;

  const { services, routes } = lineage;
  const refiled = new Map<string, Route>();
  for (const service of changes.services.changed) {
    services.set(service.id, service);
    for (const route of routes.values()) if (route.service?.id === service.id) refiled.set(route.id, route);
  }
  for (const id of changes.services.removed) services.delete(id);
  for (const id of changes.routes.removed) {
    routes.delete(id);
    refiled.delete(id);
  }
  for (const route of changes.routes.changed) {
    routes.set(route.id, route);
    refiled.set(route.id, route);
  }
  const changed: RouteWithService[] = [];
  for (const route of refiled.values()) {
    changed.push({ route, service: route.service ? services.get(route.service.id)! : null });
    lineage.chains.forRoute(route);
  }
  // The entities above moved on: unless a router follows them, this lineage is done.
  lineage.head = null;
  const next = router.update({ removed: changes.routes.removed, changed });
  if (next === null) return null;
  lineage.updates++;
  return assembleRuntimeState(lineage, next, previous.version + 1);
}

/** True when every reference the changed rows make is known once the changes apply. */
function applicable(lineage: RuntimeLineage, changes: RuntimeChanges): boolean {
  const removedRoutes = new Set(changes.routes.removed);
  const removedServices = new Set(changes.services.removed);
  const knownService = (id: string) => !removedServices.has(id) && (lineage.services.has(id) || changes.services.changed.some((s) => s.id === id));
  for (const service of changes.services.changed) {
    if (removedServices.has(service.id)) return false;
    if (usesTls(service.protocol) && (service.client_certificate != null || (service.ca_certificates?.length ?? 0) > 0)) return false;
  }
  for (const route of changes.routes.changed) {
    if (removedRoutes.has(route.id)) return false;
    if (route.service !== null && !knownService(route.service.id)) return false;
  }
  if (removedServices.size > 0) {
    for (const route of lineage.routes.values()) {
      if (route.service !== null && removedServices.has(route.service.id) && !removedRoutes.has(route.id)) return false;
    }
  }
  return true;
}
