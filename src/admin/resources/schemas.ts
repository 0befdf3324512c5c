/**
 * What decK-style tooling and UIs need to build and check bodies before sending them:
 * `GET /schemas/{entity}` (the JSON Schema of a create body), `POST /schemas/{entity}/validate`
 * (the checks of a create, nothing written), `GET /schemas/plugins/{name}` (a plugin's config
 * schema) and `POST /schemas/plugins/validate` (a plugin body, its config checked by the plugin's
 * own schema). A valid body answers 200 `{message}`; an invalid one the same 400 a create would.
 */
import type { FastifyInstance } from 'fastify';
import Type, { type TSchema } from 'typebox';
import { PortcullisError } from '../../errors/portcullis-error.js';
import type { Store } from '../../store/store.js';
import type { EntityResource } from '../entity-resource.js';
import { ErrorResponses } from '../http-schemas.js';

export interface SchemaEndpointDeps {
  readonly store: Store;
  readonly resources: Iterable<EntityResource>;
  /** A plugin's config schema, or undefined for a plugin this node does not have. */
  readonly pluginConfigSchema?: (name: string) => TSchema | undefined;
}

const EntitySchema = Type.Object({
  entity: Type.String(),
  schema: Type.Object({}, { additionalProperties: true, description: 'JSON Schema (draft 2020-12 subset) of a create body' }),
});
const PluginSchema = Type.Object({
  name: Type.String(),
  schema: Type.Object({}, { additionalProperties: true, description: "JSON Schema of the plugin's `config`" }),
});
const Valid = Type.Object({ message: Type.String({ examples: ['schema validation successful'] }) });
const VALID = { message: 'schema validation successful' };

/** Registers the schema endpoints of every resource (and plugins, when the node has a plugin registry). */
export function registerSchemaEndpoints(app: FastifyInstance, deps: SchemaEndpointDeps): void {
  const tags = ['schemas'];
  const resources = [...deps.resources];
  for (const resource of resources) {
    const dao = deps.store.dao(resource.definition.name);
    if (!dao) continue;
    const entity = resource.segment;
    app.get(
      `/schemas/${entity}`,
      {
        schema: {
          tags,
          summary: `The schema of a ${resource.definition.singular}`,
          description: `The JSON schema a ${resource.definition.singular} body is validated with (the same one the Admin API uses), for tools that build or check configuration.`,
          response: { 200: EntitySchema },
        },
      },
      async () => ({
        entity,
        schema: resource.input,
      }),
    );
    app.post(
      `/schemas/${entity}/validate`,
      {
        schema: {
          tags,
          summary: `Check a ${resource.definition.singular} without creating it`,
          description: `Validates the body as a ${resource.definition.singular} would be on create, plugin config included, 200 when it is valid, 400 naming each failing field otherwise; nothing is written.`,
          body: resource.input,
          response: { 200: Valid, ...ErrorResponses(400) },
        },
      },
      async (request) => {
        await dao.validate(request.body as Record<string, unknown>);
        return VALID;
      },
    );
  }

  const pluginSchema = deps.pluginConfigSchema;
  if (!pluginSchema || !resources.some((r) => r.definition.name === 'plugins')) return;
  app.get(
    '/schemas/plugins/:name',
    {
      schema: {
        tags,
        summary: "A plugin's config schema",
        description: 'The JSON schema of the `config` of an installed plugin; 404 for a plugin this node does not have.',
        params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 128 }) }),
        response: { 200: PluginSchema, ...ErrorResponses(404) },
      },
    },
    async (request) => {
      const { name } = request.params as { name: string };
      const schema = pluginSchema(name);
      if (!schema) throw new PortcullisError('PC_NOT_FOUND', { message: `No plugin ${JSON.stringify(name)} on this node` });
      return { name, schema };
    },
  );
  // `POST /schemas/plugins/validate` is the loop's: the plugins' store hook checks `config` by the plugin's schema.
}
