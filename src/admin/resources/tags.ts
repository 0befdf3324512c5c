/**
 * Kong's tag listings: `GET /tags` (every tag of every tagged entity) and `GET /tags/{tag}` (the
 * entities holding one tag), as `{tag, entity_name, entity_id}` rows ordered by tag, then entity,
 * then id, paginated like every listing. The rows are read from the entity tables themselves
 * (no tag table to keep in step), id and tags only.
 */
import type { FastifyInstance } from 'fastify';
import Type from 'typebox';
import type { EntityName } from '../../entities/entity.js';
import { PortcullisError } from '../../errors/portcullis-error.js';
import { clampPageSize } from '../../store/pagination.js';
import type { Store } from '../../store/store.js';
import { ErrorResponses, ListQuery, ListResponse, PathParams } from '../http-schemas.js';
import { listBody, type PageQuery } from '../list-response.js';
import { Tags } from '../../entities/common-schemas.js';

const TagRow = Type.Object({
  tag: Type.String(),
  entity_name: Type.String({ description: 'the entity type, e.g. services' }),
  entity_id: Type.String({ format: 'uuid' }),
});

type Row = { tag: string; entity_name: string; entity_id: string };

/** Registers `/tags` and `/tags/{tag}` over every entity of `store` that has tags. */
export function registerTagEndpoints(app: FastifyInstance, store: Store, entities: readonly EntityName[]): void {
  const tagged = entities.filter((name) => store.dao(name)?.definition.fields['tags']);
  const rows = async (tag?: string): Promise<Row[]> => {
    const all: Row[] = [];
    for (const name of tagged) {
      for (const { id, tags } of await store.dao(name)!.tagsById(tag)) {
        for (const t of tags) if (tag === undefined || t === tag) all.push({ tag: t, entity_name: name, entity_id: id });
      }
    }
    return all.sort((a, b) => compare(a.tag, b.tag) || compare(a.entity_name, b.entity_name) || compare(a.entity_id, b.entity_id));
  };
  const page = (all: Row[], query: PageQuery) => {
    const size = clampPageSize(query.size);
    const after = query.offset === undefined ? null : decodeTagOffset(query.offset);
    const start = after === null ? 0 : all.findIndex((r) => compareRows(r, after) > 0);
    const data = start === -1 ? [] : all.slice(start, start + size);
    const more = start !== -1 && start + size < all.length;
    const last = data[data.length - 1];
    return { data, offset: more && last ? encodeTagOffset(last) : null, size };
  };
  const tags = ['tags'];

  app.get(
    '/tags',
    {
      schema: {
        tags,
        summary: 'List every tag and the entities holding it',
        description: 'One page of (tag, entity name, entity id) rows for every tagged entity, across entity kinds, ordered by tag.',
        querystring: ListQuery,
        response: { 200: ListResponse(TagRow), ...ErrorResponses(400) },
      },
    },
    async (request) => {
      const { data, offset, size } = page(await rows(), request.query as PageQuery);
      return listBody({ data, offset }, request, size);
    },
  );

  app.get(
    '/tags/:tag',
    {
      schema: {
        tags,
        summary: 'List the entities holding a tag',
        description: 'One page of the entities (kind and id) that hold the tag in the path.',
        params: PathParams({ tag: Tags.items }),
        querystring: ListQuery,
        response: { 200: ListResponse(TagRow), ...ErrorResponses(400) },
      },
    },
    async (request) => {
      const tag = (request.params as { tag: string }).tag.normalize('NFC');
      const { data, offset, size } = page(await rows(tag), request.query as PageQuery);
      return listBody({ data, offset }, request, size);
    },
  );
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const compareRows = (a: Row, b: Row) => compare(a.tag, b.tag) || compare(a.entity_name, b.entity_name) || compare(a.entity_id, b.entity_id);

function encodeTagOffset(row: Row): string {
  return Buffer.from(JSON.stringify([row.tag, row.entity_name, row.entity_id])).toString('base64url');
}

function decodeTagOffset(offset: string): Row {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(offset, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 3 && parsed.every((p) => typeof p === 'string' && p.length <= 256)) {
      return { tag: parsed[0], entity_name: parsed[1], entity_id: parsed[2] };
    }
  } catch {
    // fall through to the error below
  }
  throw new PortcullisError('PC_VALIDATION_FAILED', { message: 'offset is not valid', fields: [{ path: 'offset', message: 'is not a valid offset' }] });
}
