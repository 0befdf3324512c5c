/**
 * Generates an entity's top-level endpoints from its definition (Kong's
 * `generate_collection_endpoints` and `generate_entity_endpoints`):
 *
 *   GET    /{E}            list, paginated          POST  /{E}        create → 201
 *   GET    /{E}/{idOrKey}  read → 200 | 404         PUT   /{E}/{…}    upsert → 201 created | 200 replaced
 *   PATCH  /{E}/{idOrKey}  update → 200 | 404       DELETE /{E}/{…}   → 204, also when already absent
 *
 * DELETE of an absent entity answers 204 as Kong does: the state the client asked for holds,
 * and a retried DELETE is not an error. A DELETE answers with the id of the cluster event it
 * recorded (`Portcullis-Event-Id`) and takes `?wait=<duration>`: 200 once every live node applied
 * it, 202 with the pending nodes on timeout (see propagation-reply.ts).
 */
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { Store } from '../store/store.js';
import type { EntityResource } from './entity-resource.js';
import { ErrorResponses, NoContent, PathParams, resourceListQuery } from './http-schemas.js';
import { listBody, pageOptions, type PageQuery } from './list-response.js';
import { assertKeyMatchesPath, daoFor, pathParam } from './entity-params.js';
import type { PropagationTracker } from '../cluster/propagation.js';
import { PendingBody, PropagationSchema, WaitQuery, propagatedWrite } from './propagation-reply.js';

type Body = Record<string, unknown>;

/** Registers the collection and entity endpoints of `resource` on `app`. */
export function registerEntityEndpoints(app: FastifyInstance, store: Store, resource: EntityResource, propagation: PropagationTracker): void {
  const dao = daoFor(store, resource.definition.name);
  const { segment, param, view } = resource;
  const singular = resource.definition.singular;
  const collection = `/${segment}`;
  const item = `/${segment}/:${param}`;
  const params = PathParams({ [param]: resource.idParam });
  const tags = [segment];
  const key = resource.definition.endpointKey;
  const named = key ? `by its id (a UUID) or its \`${key}\`` : 'by its id (a UUID)';

  app.get(
    collection,
    {
      schema: {
        tags,
        summary: `List ${segment}`,
        description: `One page of ${segment}, oldest first; pass the \`offset\` (or follow \`next\`) for the next page.`,
        querystring: resourceListQuery(resource),
        response: { 200: resource.list, ...ErrorResponses(400) },
      },
    },
    async (request) => {
      const options = pageOptions(request.query as PageQuery);
      return listBody(await dao.list(options), request, options.size, view);
    },
  );

  app.post(
    collection,
    {
      schema: {
        tags,
        summary: `Create a ${singular}`,
        description: `Creates a ${singular} from the body (missing fields take their defaults) and answers with it as stored.`,
        body: resource.input,
        response: { 201: resource.output, ...ErrorResponses(400, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(view(await dao.insert(request.body as Body))),
  );

  app.get(
    item,
    {
      schema: {
        tags,
        summary: `Get a ${singular}`,
        description: `The ${singular} named in the path ${named}.`,
        params,
        response: { 200: resource.output, ...ErrorResponses(400, 404) },
      },
    },
    async (request) => view(await dao.getOrFail(pathParam(request, param))),
  );

  app.put(
    item,
    {
      schema: {
        tags,
        summary: `Create or replace a ${singular}`,
        description: `Replaces the ${singular} named in the path ${named} with the body (201 when it did not exist); a body naming it otherwise is 400.`,
        params,
        body: resource.input,
        response: { 200: resource.output, 201: resource.output, ...ErrorResponses(400, 409) },
      },
    },
    async (request, reply) => {
      const idOrKey = pathParam(request, param);
      const body = request.body as Body;
      assertKeyMatchesPath(resource, idOrKey, body);
      const { entity, created } = await dao.upsert(idOrKey, body);
      return reply.code(created ? 201 : 200).send(view(entity));
    },
  );

  app.patch(
    item,
    {
      schema: {
        tags,
        summary: `Update a ${singular}`,
        description: `Changes the fields the body gives of the ${singular} named in the path ${named}; the others keep their values.`,
        params,
        body: resource.patch,
        response: { 200: resource.output, ...ErrorResponses(400, 404, 409) },
      },
    },
    async (request) => view(await dao.update(pathParam(request, param), request.body as Body)),
  );

  app.delete(
    item,
    {
      schema: {
        tags,
        summary: `Delete a ${singular} (with \`wait\`: once every live node applied it)`,
        description: `Deletes the ${singular} named in the path ${named}: 204, also when it does not exist; 409 while other entities refer to it. With \`?wait=\`, answers once every live node applied the deletion (200), or 202 naming the nodes still pending.`,
        params,
        querystring: WaitQuery,
        response: { 200: Type.Object({ propagation: PropagationSchema }), 202: PendingBody, 204: NoContent, ...ErrorResponses(400, 409) },
      },
    },
    async (request, reply) => {
      const { waited } = await propagatedWrite({ store, propagation }, request, reply, () => dao.delete(pathParam(request, param)));
      return waited ? reply.code(waited.status).send(waited.body) : reply.code(204).send();
    },
  );
}
