/**
 * An entity seen as an Admin API resource, derived from its definition alone: the path segment
 * (`api_keys` → `api-keys`, unless the definition names its own: `ca_certificates`), the path
 * parameter name (`service`), the schemas of a create, a PATCH and a response, and the public
 * view: hidden fields dropped, write-only ones null (unless they hold a `{vault://…}` reference),
 * and the definition's `output` properties added. The generated endpoints and the OpenAPI
 * document both read this, so they cannot disagree.
 */
import Type, { type TObject, type TSchema } from 'typebox';
import type { BaseEntity, EntityDefinition, FieldDef } from '../entities/entity.js';
import type { FieldError } from '../errors/portcullis-error.js';
import { createValidator } from '../schema/validator.js';
import { IdOrKeyParam, ListResponse } from './http-schemas.js';
import { isVaultReference } from '../secrets/reference.js';

/** Everything the generated endpoints and the OpenAPI document need to know about one entity kind. */
export interface EntityResource {
  readonly definition: EntityDefinition;
  /** The collection's path segment. */
  readonly segment: string;
  /** The path parameter naming one entity (`/services/:service`). */
  readonly param: string;
  /** PascalCase name used for OpenAPI components (`Service`, `ServiceInput` …). */
  readonly title: string;
  readonly input: TObject;
  /** The input with every field optional. */
  readonly patch: TObject;
  readonly output: TSchema;
  readonly list: TObject;
  /** Schema of `param`: a UUID, or any id-or-key string when the entity has an endpoint key. */
  readonly idParam: TSchema;
  /** The entity as the Admin API shows it: hidden fields removed, write-only ones null, output added. */
  view(entity: BaseEntity): Record<string, unknown>;
  /**
   * Problems of `value` as the endpoint key (a PUT by key creates the entity with the key from
   * the path, which no body schema saw); always none for an entity without a key.
   */
  keyErrors(value: string): FieldError[];
}

/** Describes `definition` as a resource. */
export function entityResource(definition: EntityDefinition): EntityResource {
  const words = definition.singular.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const title = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  const flagged = (flag: 'hidden' | 'writeOnly') =>
    Object.entries(definition.fields)
      .filter(([, f]) => f[flag])
      .map(([name]) => name);
  const hidden = flagged('hidden');
  const writeOnly = flagged('writeOnly');
  const extra = definition.output;
  const output = outputSchema(definition, title);
  const key = definition.endpointKey;
  const keySchema = key ? (definition.inputSchema.properties as Record<string, TSchema>)[key] : undefined;
  const keyValidator = key && keySchema ? createValidator(keySchema) : undefined;
  return {
    definition,
    segment: definition.path ?? definition.name.replaceAll('_', '-'),
    param: words.join('_').toLowerCase(),
    title,
    input: definition.inputSchema,
    patch: Type.Partial(definition.inputSchema),
    output,
    list: ListResponse(output),
    idParam: IdOrKeyParam(key !== undefined, key ? `the ${definition.singular}'s id or ${key}` : `the ${definition.singular}'s id`),
    view(entity) {
      if (hidden.length === 0 && writeOnly.length === 0 && !extra) return entity as unknown as Record<string, unknown>;
      const shown: Record<string, unknown> = { ...entity };
      for (const name of hidden) delete shown[name];
      // A literal secret was written once and is never read back; a reference names it without being it.
      for (const name of writeOnly) if (!isVaultReference(shown[name])) shown[name] = null;
      return extra ? { ...shown, ...extra.show(shown) } : shown;
    },
    keyErrors: (value) => (keyValidator && key ? keyValidator.errors(value, key) : []),
  };
}

/** The response schema: id, every visible field (typed by the input schema where it has one), output properties, timestamps. */
function outputSchema(definition: EntityDefinition, title: string): TSchema {
  const inputProps = definition.inputSchema.properties as Record<string, TSchema>;
  const properties: Record<string, unknown> = { id: { type: 'string', format: 'uuid' } };
  for (const [name, field] of Object.entries(definition.fields)) {
    if (field.hidden) continue;
    if (field.writeOnly) properties[name] = WriteOnlyOutput;
    else properties[name] = field.kind === 'foreign' ? ForeignOutput : (inputProps[name] ?? kindSchema(field));
  }
  Object.assign(properties, definition.output?.properties);
  properties['created_at'] = { type: 'integer', description: 'Unix time in seconds' };
  properties['updated_at'] = { type: 'integer', description: 'Unix time in seconds' };
  return { type: 'object', title, properties, required: Object.keys(properties) } as unknown as TSchema;
}

const WriteOnlyOutput = { type: ['string', 'null'], description: 'Never shown: null, or the {vault://…} reference it holds' };
const ForeignOutput = { anyOf: [{ type: 'object', properties: { id: { type: 'string', format: 'uuid' } }, required: ['id'] }, { type: 'null' }] };

function kindSchema(field: FieldDef): unknown {
  switch (field.kind) {
    case 'string':
      return { type: ['string', 'null'] };
    case 'integer':
    case 'timestamp':
      return { type: ['integer', 'null'] };
    case 'boolean':
      return { type: 'boolean' };
    default:
      return {};
  }
}
