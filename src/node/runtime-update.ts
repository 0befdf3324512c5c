/**
 * The runtime loader's `update` for a node: reads the rows that a batch of route and service
 * events names (by id, one query each) and derives the next state from the current one
 * (`updateRuntimeState`). Which operation an event carries does not matter: a row that is there
 * now is created or changed, one that is gone is removed, so a batch converges on the store
 * whatever the order of the writes it saw. Anything else answers null: the loader rebuilds in full.
 */
import type { Store } from '../store/store.js';
import type { ClusterEvent } from '../store/cluster-events.js';
import type { RuntimeState } from '../proxy/runtime-state.js';
import { updateRuntimeState } from '../proxy/runtime-state-update.js';

interface ById<E> {
  get(id: string): Promise<E | null>;
}

/** The update function over `store`. A read that fails rejects (the loader then rebuilds in full). */
export function createRuntimeUpdate(store: Store): (state: RuntimeState, events: readonly ClusterEvent[]) => Promise<RuntimeState | null> {
  return async (state, events) => {
    const services = new Set<string>();
    const routes = new Set<string>();
    for (const event of events) {
      if (event.entity === 'services') services.add(event.entity_id);
      else if (event.entity === 'routes') routes.add(event.entity_id);
      else return null;
    }
    const [serviceRows, routeRows] = await Promise.all([readAll(store.services, services), readAll(store.routes, routes)]);
    return updateRuntimeState(state, { services: serviceRows, routes: routeRows });
  };
}

/** The rows of `ids` that exist now, and the ids whose row is gone. */
async function readAll<E extends { readonly id: string }>(dao: ById<E>, ids: ReadonlySet<string>): Promise<{ changed: E[]; removed: string[] }> {
  const list = [...ids];
  const rows = await Promise.all(list.map((id) => dao.get(id)));
  const changed: E[] = [];
  const removed: string[] = [];
  rows.forEach((row, i) => (row === null ? removed.push(list[i]!) : changed.push(row)));
  return { changed, removed };
}
