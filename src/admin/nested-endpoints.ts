/**
 * Generates the endpoints of an entity nested under the entity one of its foreign fields
 * refers to (Kong's nested endpoints): `/services/{s}/routes`, `/consumers/{c}/plugins` …
 *
 *   GET  /{P}/{p}/{C}        the children of p          POST /{P}/{p}/{C}   create with parent p
 *   GET | PUT | PATCH | DELETE /{P}/{p}/{C}/{c}         act on c only if it belongs to p
 *   GET  /{C}/{c}/{field}    the parent c refers to (`/routes/{r}/service`)
 *
 * The parent comes from the path: a missing parent is 404, a body naming another parent is 400,
 * and a child of another parent is 404 (as if it did not exist under this path). DELETE of an
 * absent child answers 204, like the top-level DELETE. Check and write run in one transaction.
 */
import type { FastifyInstance } from 'fastify';
import type { BaseEntity } from '../entities/entity.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import type { Store } from '../store/store.js';
import type { EntityResource } from './entity-resource.js';
import { ErrorResponses, NoContent, PathParams, resourceListQuery } from './http-schemas.js';
import { listBody, pageOptions, type PageQuery } from './list-response.js';
import { assertKeyMatchesPath, daoFor, notFound, pathParam } from './entity-params.js';

type Body = Record<string, unknown>;

/** Registers `/{parent}/{p}/{child}` and `/{parent}/{p}/{child}/{c}` for the foreign `field` of child. */
export function registerNestedEndpoints(app: FastifyInstance, store: Store, parent: EntityResource, child: EntityResource, field: string): void {
  const parents = daoFor(store, parent.definition.name);
  const children = daoFor(store, child.definition.name);
  const collection = `/${parent.segment}/:${parent.param}/${child.segment}`;
  const item = `${collection}/:${child.param}`;
  const collectionParams = PathParams({ [parent.param]: parent.idParam });
  const itemParams = PathParams({ [parent.param]: parent.idParam, [child.param]: child.idParam });
  const tags = [child.segment];
  const of = `of a ${parent.definition.singular}`;
  const singular = child.definition.singular;
  const under = `the ${parent.definition.singular} named in the path (by id or ${parent.definition.endpointKey ?? 'id'})`;

  const parentOf = (request: Parameters<typeof pathParam>[0]) => parents.getOrFail(pathParam(request, parent.param));
  /** The child named in the path if it belongs to `owner`; null when absent; 404 when another's. */
  const ownedChild = async (idOrKey: string, owner: BaseEntity): Promise<BaseEntity | null> => {
    const found = await children.get(idOrKey);
    if (found && !belongsTo(found, field, owner.id)) throw notFound(child, idOrKey);
    return found;
  };
  const withParent = (body: Body, owner: BaseEntity): Body => {
    assertParentRef(body, field, parent, owner);
    return { ...body, [field]: { id: owner.id } };
  };

  app.get(
    collection,
    {
      schema: {
        tags,
        summary: `List the ${child.segment} ${of}`,
        description: `One page of the ${child.segment} of ${under}; 404 when it does not exist.`,
        params: collectionParams,
        querystring: resourceListQuery(child),
        response: { 200: child.list, ...ErrorResponses(400, 404) },
      },
    },
    async (request) => {
      const owner = await parentOf(request);
      const options = pageOptions(request.query as PageQuery);
      return listBody(await children.list({ ...options, where: { [field]: owner.id } }), request, options.size, child.view);
    },
  );

  app.post(
    collection,
    {
      schema: {
        tags,
        summary: `Create a ${singular} ${of}`,
        description: `Creates a ${singular} belonging to ${under}; a body naming another ${parent.definition.singular} is 400.`,
        params: collectionParams,
        body: child.input,
        response: { 201: child.output, ...ErrorResponses(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const created = await store.transaction(async () => children.insert(withParent(request.body as Body, await parentOf(request))));
      return reply.code(201).send(child.view(created));
    },
  );

  app.get(
    item,
    {
      schema: {
        tags,
        summary: `Get a ${singular} ${of}`,
        description: `The ${singular} named in the path if it belongs to ${under}; 404 otherwise.`,
        params: itemParams,
        response: { 200: child.output, ...ErrorResponses(400, 404) },
      },
    },
    async (request) => {
      const idOrKey = pathParam(request, child.param);
      const found = await ownedChild(idOrKey, await parentOf(request));
      if (!found) throw notFound(child, idOrKey);
      return child.view(found);
    },
  );

  app.put(
    item,
    {
      schema: {
        tags,
        summary: `Create or replace a ${singular} ${of}`,
        description: `Creates or replaces the ${singular} named in the path, belonging to ${under}; a ${singular} of another ${parent.definition.singular} is 404.`,
        params: itemParams,
        body: child.input,
        response: { 200: child.output, 201: child.output, ...ErrorResponses(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const idOrKey = pathParam(request, child.param);
      const { entity, created } = await store.transaction(async () => {
        const owner = await parentOf(request);
        await ownedChild(idOrKey, owner);
        assertKeyMatchesPath(child, idOrKey, request.body as Body);
        return children.upsert(idOrKey, withParent(request.body as Body, owner));
      });
      return reply.code(created ? 201 : 200).send(child.view(entity));
    },
  );

  app.patch(
    item,
    {
      schema: {
        tags,
        summary: `Update a ${singular} ${of}`,
        description: `Changes the fields the body gives of the ${singular} named in the path, if it belongs to ${under}.`,
        params: itemParams,
        body: child.patch,
        response: { 200: child.output, ...ErrorResponses(400, 404, 409) },
      },
    },
    async (request) => {
      const idOrKey = pathParam(request, child.param);
      const updated = await store.transaction(async () => {
        const owner = await parentOf(request);
        const found = await ownedChild(idOrKey, owner);
        if (!found) throw notFound(child, idOrKey);
        return children.update(found.id, withParent(request.body as Body, owner));
      });
      return child.view(updated);
    },
  );

  app.delete(
    item,
    {
      schema: {
        tags,
        summary: `Delete a ${singular} ${of}`,
        description: `Deletes the ${singular} named in the path if it belongs to ${under}: 204, also when it does not exist.`,
        params: itemParams,
        response: { 204: NoContent, ...ErrorResponses(400, 404, 409) },
      },
    },
    async (request, reply) => {
      const idOrKey = pathParam(request, child.param);
      await store.transaction(async () => {
        const found = await ownedChild(idOrKey, await parentOf(request));
        if (found) await children.delete(found.id);
      });
      return reply.code(204).send();
    },
  );
}

/** Registers `GET /{child}/{c}/{field}`: the entity the child's foreign `field` refers to. */
export function registerParentEndpoint(app: FastifyInstance, store: Store, child: EntityResource, field: string, parent: EntityResource): void {
  const parents = daoFor(store, parent.definition.name);
  const children = daoFor(store, child.definition.name);
  app.get(
    `/${child.segment}/:${child.param}/${field}`,
    {
      schema: {
        tags: [parent.segment],
        summary: `Get the ${parent.definition.singular} a ${child.definition.singular} belongs to`,
        description: `The ${parent.definition.singular} the \`${field}\` of the ${child.definition.singular} named in the path refers to; 404 when it refers to none.`,
        params: PathParams({ [child.param]: child.idParam }),
        response: { 200: parent.output, ...ErrorResponses(400, 404) },
      },
    },
    async (request) => {
      const found = await children.getOrFail(pathParam(request, child.param));
      const ref = (found as unknown as Record<string, { id: string } | null>)[field];
      if (!ref) throw new PortcullisError('PC_NOT_FOUND', { message: `This ${child.definition.singular} has no ${field}` });
      return parent.view(await parents.getOrFail(ref.id));
    },
  );
}

function belongsTo(entity: BaseEntity, field: string, parentId: string): boolean {
  return (entity as unknown as Record<string, { id?: string } | null>)[field]?.id === parentId;
}

/** A body may name the parent (by id or key) only if it is the one in the path. */
function assertParentRef(body: Body, field: string, parent: EntityResource, owner: BaseEntity): void {
  const ref = body[field];
  if (ref === undefined || refersTo(ref, parent, owner)) return;
  const message = `must be the ${parent.definition.singular} in the path, or absent`;
  throw new PortcullisError('PC_VALIDATION_FAILED', { message: `The request is not valid: ${field} ${message}`, fields: [{ path: field, message }] });
}

function refersTo(ref: unknown, parent: EntityResource, owner: BaseEntity): boolean {
  if (!ref || typeof ref !== 'object') return false;
  const r = ref as Record<string, unknown>;
  if (typeof r['id'] === 'string') return r['id'].toLowerCase() === owner.id;
  const key = parent.definition.endpointKey;
  return key !== undefined && typeof r[key] === 'string' && r[key] === (owner as unknown as Record<string, unknown>)[key];
}
