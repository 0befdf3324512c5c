/**
 * The CRUD part of the Admin API for a set of entities, generated from their definitions: the
 * top-level endpoints of each, the nested endpoints for each foreign field whose target is in
 * the set (`/services/{s}/routes`, `/routes/{r}/plugins`, `/certificates/{c}/snis` …), the
 * parent endpoint (`/routes/{r}/service`, `/snis/{s}/certificate`), and OpenAPI component names
 * for their schemas.
 */
import type { FastifyInstance } from 'fastify';
import type { TSchema } from 'typebox';
import type { EntityName } from '../entities/entity.js';
import type { Store } from '../store/store.js';
import type { PropagationTracker } from '../cluster/propagation.js';
import { daoFor } from './entity-params.js';
import { entityResource, type EntityResource } from './entity-resource.js';
import { registerEntityEndpoints } from './entity-endpoints.js';
import { registerNestedEndpoints, registerParentEndpoint } from './nested-endpoints.js';

/**
 * The entities every node exposes. TLS: `/certificates` (with `/certificates/{c}/snis` and, as in
 * Kong, `/certificates/{c}/services` from a service's client_certificate), `/snis`, `/ca_certificates`.
 */
export const CORE_ENTITIES: readonly EntityName[] = ['services', 'routes', 'consumers', 'plugins', 'certificates', 'snis', 'ca_certificates'];

/** What generating the CRUD endpoints needs. */
export interface EntityApiDeps {
  readonly store: Store;
  /** Deletes take `?wait=`: which live nodes applied the delete. */
  readonly propagation: PropagationTracker;
  /** Publishes a schema as a named OpenAPI component. */
  nameSchema(schema: TSchema, componentName: string): void;
  /** Changes what an entity's responses show after hidden fields are removed (secrets redacted). */
  readonly views?: Partial<Record<EntityName, (shown: Record<string, unknown>) => Record<string, unknown>>>;
}

/** Registers the endpoints of `names` and returns their resources, by entity name. */
export function registerEntityApi(app: FastifyInstance, deps: EntityApiDeps, names: readonly EntityName[]): ReadonlyMap<EntityName, EntityResource> {
  const resources = new Map<EntityName, EntityResource>();
  for (const name of names) {
    const base = entityResource(daoFor(deps.store, name).definition);
    const redact = deps.views?.[name];
    const resource: EntityResource = redact ? { ...base, view: (entity) => redact(base.view(entity)) } : base;
    resources.set(name, resource);
    nameResourceSchemas(resource, deps.nameSchema);
  }
  for (const resource of resources.values()) registerEntityEndpoints(app, deps.store, resource, deps.propagation);
  for (const child of resources.values()) {
    for (const [field, def] of Object.entries(child.definition.fields)) {
      const parent = def.kind === 'foreign' && def.foreign ? resources.get(def.foreign) : undefined;
      if (!parent) continue;
      registerNestedEndpoints(app, deps.store, parent, child, field);
      registerParentEndpoint(app, deps.store, child, field, parent);
    }
  }
  return resources;
}

/** `Service`, `ServiceInput`, `ServicePatch`, `ServiceList`. */
export function nameResourceSchemas(resource: EntityResource, nameSchema: EntityApiDeps['nameSchema']): void {
  nameSchema(resource.output, resource.title);
  nameSchema(resource.input, `${resource.title}Input`);
  nameSchema(resource.patch, `${resource.title}Patch`);
  nameSchema(resource.list, `${resource.title}List`);
}
