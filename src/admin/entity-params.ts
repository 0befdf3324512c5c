/**
 * Naming entities in Admin API paths: read an id-or-key path parameter, find its DAO, and
 * keep a PUT body from contradicting the name in its path. Entities are named by UUID or by
 * their endpoint key (`name`, or `username` for consumers); the store decides which by the
 * value's shape.
 */
import type { FastifyRequest } from 'fastify';
import type { EntityName } from '../entities/entity.js';
import { isUuid } from '../entities/common-schemas.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import type { EntityDao } from '../store/entity-dao.js';
import type { Store } from '../store/store.js';
import type { EntityResource } from './entity-resource.js';

/** The (already validated and percent-decoded) path parameter `name`. */
export function pathParam(request: FastifyRequest, name: string): string {
  const value = (request.params as Record<string, string | undefined>)[name];
  if (value === undefined) throw new Error(`route ${request.routeOptions.url ?? '?'} has no path parameter ${name}`);
  return value;
}

/** The store's DAO for `name`; throws at boot when the store has none (a wiring mistake). */
export function daoFor(store: Store, name: EntityName): EntityDao {
  const dao = store.dao(name);
  if (!dao) throw new Error(`the store has no DAO for ${name}`);
  return dao;
}

/**
 * Refuses a PUT by key whose key is not a valid one (the path creates the entity under that
 * key, so it obeys the body's rules: `PUT /consumers/a%E2%80%8Bb` is 400), or whose body names
 * the entity differently (`PUT /services/a` with `{"name": "b"}`): the path says which entity is
 * meant, a silent rename would surprise. Names compare in NFC, as the store keeps them.
 */
export function assertKeyMatchesPath(resource: EntityResource, idOrKey: string, body: Readonly<Record<string, unknown>>): void {
  const key = resource.definition.endpointKey;
  if (!key || isUuid(idOrKey)) return;
  const named = idOrKey.normalize('NFC');
  const fields = resource.keyErrors(named);
  if (fields.length > 0) {
    const summary = fields.map((f) => `${f.path} ${f.message}`).join('; ');
    throw new PortcullisError('PC_VALIDATION_FAILED', { message: `The ${resource.definition.singular} in the path is not valid: ${summary}`, fields });
  }
  // Compared as the store compares keys (SNI names: in any case).
  const normal = resource.definition.normalizeKey ?? ((k: string) => k);
  if (body[key] === undefined || (typeof body[key] === 'string' && normal(body[key].normalize('NFC')) === normal(named))) return;
  throw new PortcullisError('PC_VALIDATION_FAILED', {
    message: `The ${resource.definition.singular} is not valid: ${key} must match the ${key} in the path`,
    fields: [{ path: key, message: `must match the ${key} in the path` }],
  });
}

/** A 404 for `idOrKey` of `resource`, worded like the store's own. */
export function notFound(resource: EntityResource, idOrKey: string): PortcullisError {
  return new PortcullisError('PC_NOT_FOUND', { message: `No ${resource.definition.singular} ${JSON.stringify(idOrKey)}` });
}
