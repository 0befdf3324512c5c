/**
 * Basic-auth credentials of a consumer: `/consumers/{consumer}/basic-auth`, generated from the
 * entity definition (the password field is hidden: never returned; the store hashes it).
 */
import type { AdminRoutes } from '../admin-server.js';
import { entityResource } from '../entity-resource.js';
import { registerNestedEndpoints } from '../nested-endpoints.js';
import { basicAuthCredentialsDefinition } from '../../entities/basicauth-credentials.js';
import type { EntityDefinition } from '../../entities/entity.js';

export function basicAuthRoutes(): AdminRoutes {
  return (app, kit) => {
    const resource = { ...entityResource(basicAuthCredentialsDefinition as unknown as EntityDefinition), segment: 'basic-auth' };
    registerNestedEndpoints(app, kit.store, kit.resource('consumers'), resource, 'consumer');
  };
}
