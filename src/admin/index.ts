/**
 * The Admin API's public surface: the server, and the helpers a feature uses to add its own
 * resource through `extraRoutes` with the same validation, errors, pagination and docs.
 *
 * A resource in a few lines (e.g. `/consumers/{consumer}/api-keys`):
 *
 *   const apiKeyRoutes: AdminRoutes = (app, kit) => {
 *     const consumers = kit.resource('consumers');
 *     const params = PathParams({ [consumers.param]: consumers.idParam });
 *     kit.nameSchema(ApiKeyInput, 'ApiKeyInput');
 *     app.post('/consumers/:consumer/api-keys', {
 *       schema: { tags: ['api-keys'], summary: 'Issue a key', params, body: ApiKeyInput,
 *                 response: { 201: ApiKeyIssued, ...ErrorResponses(400, 404) } },
 *     }, async (request, reply) => {
 *       const consumer = await daoFor(kit.store, 'consumers').getOrFail(pathParam(request, consumers.param));
 *       …throw new PortcullisError('PC_…') for failures; reply.code(201).send(…) on success
 *     });
 *     app.get('/api-keys', { schema: { querystring: ListQuery, response: { 200: ListResponse(ApiKey) } } },
 *       async (request) => { const o = pageOptions(request.query as PageQuery); return listBody(await list(o), request, o.size); });
 *   };
 *   createAdminServer({ …, extraRoutes: [apiKeyRoutes] });
 *
 * An entity the store knows (a DAO in `store.dao(name)`) can instead get the generated CRUD:
 * `registerEntityEndpoints(app, kit.store, entityResource(definition), kit.propagation)`, and nesting with
 * `registerNestedEndpoints(app, kit.store, kit.resource('consumers'), resource, 'consumer')`.
 */
export { createAdminServer, type AdminServer, type AdminServerDeps, type AdminRoutes, type AdminRouteKit } from './admin-server.js';
export { toAdminError, sendError } from './admin-errors.js';
export { ADMIN_TOKEN_HEADER, tokensEqual, type AdminRouteConfig } from './admin-auth.js';
export { ErrorBody, ErrorResponses, ListQuery, ListResponse, IdOrKeyParam, PathParams, NoContent } from './http-schemas.js';
export { listBody, pageOptions, requestPath, type ListBody, type PageQuery } from './list-response.js';
export { pathParam, daoFor, assertKeyMatchesPath, notFound } from './entity-params.js';
export { entityResource, type EntityResource } from './entity-resource.js';
export { registerEntityEndpoints } from './entity-endpoints.js';
export { registerNestedEndpoints, registerParentEndpoint } from './nested-endpoints.js';
export { CORE_ENTITIES, registerEntityApi, nameResourceSchemas } from './entity-api.js';
