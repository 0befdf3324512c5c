/**
 * Builders of plain entity objects for proxy tests: every field the store would set, with the
 * defaults of the entity definitions, so a test states only what it is about.
 */
import { randomUUID } from 'node:crypto';
import type { Route } from '../../entities/routes.js';
import type { Service } from '../../entities/services.js';
import type { Consumer } from '../../entities/consumers.js';
import type { PluginConfig } from '../../entities/plugins.js';

/** Creation times increase with every entity built, so "older" is the order of building. */
export function createEntityFactory() {
  let clock = 1_700_000_000;
  const base = () => ({ id: randomUUID(), created_at: ++clock, updated_at: clock });

  return {
    service(fields: Partial<Service> = {}): Service {
      return {
        ...base(),
        name: null,
        protocol: 'http',
        host: '127.0.0.1',
        port: 80,
        path: null,
        connect_timeout: null,
        read_timeout: null,
        write_timeout: null,
        retries: 5,
        enabled: true,
        tags: [],
        ...fields,
      };
    },
    route(fields: Partial<Route> = {}): Route {
      return {
        ...base(),
        name: null,
        service: null,
        protocols: ['http', 'https'],
        paths: [],
        methods: [],
        hosts: [],
        headers: {},
        strip_path: true,
        preserve_host: false,
        regex_priority: 0,
        tags: [],
        ...fields,
      };
    },
    consumer(fields: Partial<Consumer> = {}): Consumer {
      return { ...base(), username: null, custom_id: null, tags: [], ...fields };
    },
    plugin(fields: Partial<PluginConfig> & { name: string }): PluginConfig {
      return { ...base(), config: {}, service: null, route: null, consumer: null, enabled: true, tags: [], ...fields };
    },
  };
}

export type EntityFactory = ReturnType<typeof createEntityFactory>;
