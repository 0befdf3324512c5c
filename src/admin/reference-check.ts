/**
 * Refuses an Admin API write that introduces a vault reference which cannot be resolved now
 * (400 PC_VAULT_UNRESOLVED, one field error per reference naming its code), unless the request
 * says `?allow_unresolved=true` — for a secret that will exist later. The check runs before the
 * store is touched, so no backend call ever happens inside a database transaction; a reference's
 * shape and place are checked by the entity's own validation. The resolved value is never used here
 * and never leaves the node.
 */
import type { FastifyRequest } from 'fastify';
import { PortcullisError, type FieldError } from '../errors/portcullis-error.js';
import type { SecretResolver } from '../secrets/secret-resolver.js';
import { findFieldReference, type VaultReference } from '../secrets/reference.js';
import { referenceSites } from '../secrets/reference-paths.js';

/** Routes whose bodies may hold references (in `config`): plugin configurations and vaults. */
const REFERENCING_ROUTE = /(^|\/)(plugins|vaults)(\/|$)/;

/** An entity whose top-level fields its definition marks `referenceable` (certificates' PEMs). */
export interface ReferenceableEntity {
  /** Its Admin API path segment (`certificates`). */
  readonly segment: string;
  readonly fields: readonly string[];
}

/** Where `body` may hold references on `route`: each string with its path (null: not a referencing route). */
function sitesOf(route: string, body: Record<string, unknown>, entities: readonly ReferenceableEntity[]): { path: readonly string[]; value: string }[] | null {
  const entity = entities.find((e) => route === `/${e.segment}` || new RegExp(`^/${e.segment}/:[a-z_]+$`).test(route));
  if (entity) return entity.fields.filter((f) => typeof body[f] === 'string').map((f) => ({ path: [f], value: body[f] as string }));
  return REFERENCING_ROUTE.test(route) ? referenceSites(body['config'], ['config']) : null;
}

/**
 * `placed(route, body, site path, reference)`: whether the entity's schema accepts a reference there; a misplaced one
 * is left to the entity's validation, which names the problem better than a failed resolution.
 */
export type ReferencePlacement = (route: string, body: Record<string, unknown>, path: readonly string[], reference: VaultReference) => boolean;

export function createReferenceCheck(
  secrets: SecretResolver,
  placed: ReferencePlacement = () => true,
  entities: readonly ReferenceableEntity[] = [],
): (request: FastifyRequest) => Promise<void> {
  return async (request) => {
    if (request.method !== 'POST' && request.method !== 'PUT' && request.method !== 'PATCH') return;
    const route = request.routeOptions.url ?? '';
    if ((request.query as Record<string, unknown> | undefined)?.['allow_unresolved'] === 'true') return;
    const body = request.body as Record<string, unknown> | null | undefined;
    if (!body || typeof body !== 'object') return;
    const sites = sitesOf(route, body, entities);
    if (sites === null) return;
    const fields: FieldError[] = [];
    await Promise.all(
      sites.map(async (site) => {
        const found = findFieldReference(site.value);
        if (found.kind !== 'reference' || !placed(route, body, site.path, found.parsed)) return;
        try {
          await secrets.resolve(found.reference);
        } catch (err) {
          const reason = err instanceof PortcullisError ? `${err.code}: ${err.message}` : 'cannot be resolved';
          fields.push({ path: site.path.join('.'), message: reason });
        }
      }),
    );
    if (fields.length > 0) {
      fields.sort((a, b) => a.path.localeCompare(b.path));
      throw new PortcullisError('PC_VAULT_UNRESOLVED', {
        message: 'A vault reference in the request cannot be resolved now; add ?allow_unresolved=true to save it anyway',
        fields,
      });
    }
  };
}
