/**
 * Builders of plain entity objects for proxy tests: every field the store would set, with the
 * defaults of the entity definitions, so a test states only what it is about.
 */
import { randomUUID } from 'node:crypto';
import { routesDefinition, type Route } from '../../entities/routes.js';
import { servicesDefinition, type Service } from '../../entities/services.js';
import { consumersDefinition, type Consumer } from '../../entities/consumers.js';
import { pluginsDefinition, type PluginConfig } from '../../entities/plugins.js';

/** Creation times increase with every entity built, so "older" is the order of building. */
export function createEntityFactory() {
  let clock = 1_700_000_000;
  const base = () => ({ id: randomUUID(), created_at: ++clock, updated_at: clock });

  // The definitions' own defaults, so these objects look exactly like what the store returns.
  const defaults = <T>(def: { readonly defaults?: Readonly<Record<string, unknown>> }) => structuredClone(def.defaults ?? {}) as Partial<T>;

  return {
    service(fields: Partial<Service> = {}): Service {
      return { ...base(), ...defaults<Service>(servicesDefinition), host: '127.0.0.1', port: 80, ...fields } as Service;
    },
    route(fields: Partial<Route> = {}): Route {
      return { ...base(), ...defaults<Route>(routesDefinition), ...fields } as Route;
    },
    consumer(fields: Partial<Consumer> = {}): Consumer {
      return { ...base(), ...defaults<Consumer>(consumersDefinition), ...fields } as Consumer;
    },
    plugin(fields: Partial<PluginConfig> & { name: string }): PluginConfig {
      return { ...base(), ...defaults<PluginConfig>(pluginsDefinition), ...fields } as PluginConfig;
    },
  };
}

export type EntityFactory = ReturnType<typeof createEntityFactory>;
