/**
 * TypeBox schemas shared by every Admin API route: the error body, the listing query and
 * response, and path parameters naming an entity by id or by key. Routes use them for
 * validation; the OpenAPI document shows the same objects.
 */
import Type, { type TObject, type TSchema } from 'typebox';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../store/pagination.js';

/** Every error the Admin API sends: `{code, message, fields?}`. */
export const ErrorBody = Type.Object(
  {
    code: Type.String({ pattern: '^PC_[A-Z_]+$', description: 'stable code from the error catalogue (docs/errors.md)' }),
    message: Type.String(),
    fields: Type.Optional(Type.Array(Type.Object({ path: Type.String({ description: 'dotted path, e.g. config.key_names.0' }), message: Type.String() }))),
  },
  { description: 'An error' },
);

/** Query of every listing: `size` (1…1000) and the opaque `offset` a previous page returned. */
export const ListQuery = Type.Object(
  {
    size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, description: 'entities per page' })),
    offset: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'the `offset` returned with the previous page' })),
  },
  { additionalProperties: false },
);

/** Query of a listing of tagged entities: `ListQuery` and `tags` (`a,b`: all of them; `a/b`: any of them). */
export const TaggedListQuery = Type.Object(
  {
    ...ListQuery.properties,
    tags: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2048,
        description: 'only entities holding every tag of `a,b`, or any tag of `a/b` (at most 16 tags)',
        examples: ['prod,team-a'],
      }),
    ),
  },
  { additionalProperties: false },
);

/** The listing query of an entity's endpoints: with `tags` when the entity has tags. */
export function resourceListQuery(resource: { readonly definition: { readonly fields: Readonly<Record<string, unknown>> } }): TObject {
  return resource.definition.fields['tags'] ? TaggedListQuery : ListQuery;
}

/** A listing: one page of `item`, the offset of the next page, and a ready-made link to it. */
export function ListResponse(item: TSchema): TObject {
  return Type.Object({
    data: Type.Array(item),
    offset: Type.Union([Type.String(), Type.Null()], { description: 'pass as `offset` to get the next page; null on the last page' }),
    next: Type.Union([Type.String(), Type.Null()], { description: 'path of the next page; null on the last page' }),
  });
}

/**
 * An entity in a path: a UUID, or its endpoint key (name, username) when it has one. Names are
 * at most 128 characters; the bound only keeps absurd paths out.
 */
export function IdOrKeyParam(hasKey: boolean, description: string): TSchema {
  return hasKey ? Type.String({ minLength: 1, maxLength: 256, description }) : Type.String({ format: 'uuid', description });
}

/** Path parameters of a route, each an entity's id or key. */
export function PathParams(params: Readonly<Record<string, TSchema>>): TObject {
  return Type.Object({ ...params });
}

/** Response schemas for the given error statuses, for a route's `schema.response`. */
export function ErrorResponses(...statuses: readonly number[]): Record<number, TSchema> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorBody]));
}

/** The documented (empty) response of a 204. */
export const NoContent = Type.Null({ description: 'No content' });
