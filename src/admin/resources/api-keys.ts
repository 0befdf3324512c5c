/**
 * The API-key resource of the Admin API (the API Platform's REST shape): keys of a service
 * (`/services/{service}/api-keys`), keys of a consumer (`/consumers/{consumer}/api-keys`), every
 * key (`GET /api-keys`), and remote issuers' revocations (`POST /api-keys/revocations`). The
 * plaintext of a generated key is in the response of its generation or regeneration only, sent
 * with `Cache-Control: no-store`; listings show the public id and a masked form. Revoke and
 * regenerate answer with their cluster event's id (`Portcullis-Event-Id`) and take `?wait=`
 * (propagation-reply.ts): the answer then says which live nodes applied the change.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { AdminRoutes } from '../admin-server.js';
import { ErrorResponses, ListResponse, NoContent, PathParams } from '../http-schemas.js';
import { listBody } from '../list-response.js';
import { pathParam } from '../entity-params.js';
import { isLoopbackHost } from '../../config/listen.js';
import type { ApiKeyService, KeyWithPlaintext, OwnerRef } from '../../apikeys/lifecycle/api-key-service.js';
import { toApiKeyView } from '../../apikeys/lifecycle/api-key-view.js';
import {
  GenerateKeyBody,
  KEY_NAME_PATTERN,
  RegenerateKeyBody,
  RevocationsBody,
  SetKeyBody,
  type GenerateKeyInput,
  type RegenerateKeyInput,
  type RevocationsInput,
  type SetKeyInput,
} from '../../apikeys/lifecycle/schemas.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../store/pagination.js';
import { PendingBody, PropagationSchema, WaitQuery, propagatedWrite } from '../propagation-reply.js';
import { apiKeyRefs, assertNotUuidName } from './api-key-refs.js';

export const ApiKey = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    display_name: Type.Union([Type.String(), Type.Null()]),
    key_id: Type.String({ description: 'public id: the first 16 hex of the key' }),
    masked_key: Type.String(),
    issuer: Type.String(),
    source: Type.String(),
    algorithm: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('revoked'), Type.Literal('expired')]),
    service: Type.Union([Type.Object({ id: Type.String() }), Type.Null()]),
    consumer: Type.Union([Type.Object({ id: Type.String() }), Type.Null()]),
    metadata: Type.Record(Type.String(), Type.Unknown()),
    expires_at: Type.Union([Type.String(), Type.Null()]),
    grace_until: Type.Union([Type.String(), Type.Null()]),
    last_used_at: Type.Union([Type.String(), Type.Null()]),
    revoked_at: Type.Union([Type.String(), Type.Null()]),
    created_at: Type.String(),
    updated_at: Type.String(),
  },
  { description: 'An API key as listed: never its secret' },
);
const ApiKeyWithSecret = Type.Intersect([ApiKey, Type.Object({ api_key: Type.Optional(Type.String({ description: 'the plaintext key: shown once' })) })]);
/** A regenerated key with `?wait=`: the key (its new secret too: the change is committed either way) and who applied it. */
const RegeneratedWaited = Type.Intersect([ApiKeyWithSecret, Type.Object({ propagation: PropagationSchema })]);
const RegeneratedPending = Type.Intersect([ApiKeyWithSecret, PendingBody]);

const StatusFilter = Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('revoked'), Type.Literal('expired')]));
const OwnerListQuery = Type.Object(
  {
    size: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })),
    offset: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    status: StatusFilter,
    issuer: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
const AllListQuery = Type.Object(
  { ...OwnerListQuery.properties, consumer: Type.Optional(Type.String({ maxLength: 256 })), service: Type.Optional(Type.String({ maxLength: 256 })) },
  { additionalProperties: false },
);
/** A key in a path: its id (a UUID) or its name; see api-key-refs.ts. */
const KeyRef = Type.Union([Type.String({ format: 'uuid' }), Type.String({ pattern: KEY_NAME_PATTERN })], { description: "the key's id (a UUID) or its name" });
const Owner = Type.String({ minLength: 1, maxLength: 256 });

interface OwnerKind {
  readonly segment: 'services' | 'consumers';
  readonly param: 'service' | 'consumer';
}
const OWNERS: readonly OwnerKind[] = [
  { segment: 'services', param: 'service' },
  { segment: 'consumers', param: 'consumer' },
];

export interface ApiKeyRoutesDeps {
  readonly keys: ApiKeyService;
  /** True when every admin call carries the admin token. */
  readonly tokenProtected: boolean;
}

export function apiKeyRoutes(deps: ApiKeyRoutesDeps): AdminRoutes {
  const { keys } = deps;
  const view = (record: Parameters<typeof toApiKeyView>[0]) => toApiKeyView(record, keys.nowSeconds());
  const withSecret = (reply: FastifyReply, result: KeyWithPlaintext) => {
    reply.header('cache-control', 'no-store');
    return result.plaintext ? { ...view(result.record), api_key: result.plaintext.reveal() } : view(result.record);
  };
  /** One page of keys for a listing query (size, offset, status, issuer). */
  const listKeys = async (request: FastifyRequest, owner: OwnerRef, owned: boolean) => {
    const q = request.query as { size?: number; offset?: string; status?: 'active' | 'revoked' | 'expired'; issuer?: string };
    const size = q.size ?? DEFAULT_PAGE_SIZE;
    const page = await keys.list({
      owner,
      owned,
      size,
      ...(q.offset ? { offset: q.offset } : {}),
      ...(q.status ? { status: q.status } : {}),
      ...(q.issuer ? { issuer: q.issuer } : {}),
    });
    return listBody(page, request, size, view);
  };
  const facts = (request: FastifyRequest) => ({
    protectedConnection: deps.tokenProtected || isLoopbackHost(request.socket.remoteAddress?.replace(/^::ffff:/, '') ?? ''),
  });

  return (app, kit) => {
    const propagated = { store: kit.store, propagation: kit.propagation };
    const refs = apiKeyRefs(kit.store, keys);
    kit.nameSchema(ApiKey, 'ApiKey');
    kit.nameSchema(GenerateKeyBody, 'ApiKeyGenerateInput');
    for (const owner of OWNERS) {
      const base = `/${owner.segment}/:${owner.param}/api-keys`;
      const tags = ['api-keys'];
      const ownerOf = (request: FastifyRequest): OwnerRef => ({ [owner.param]: pathParam(request, owner.param) });
      const params = PathParams({ [owner.param]: Owner });
      const named = PathParams({ [owner.param]: Owner, name: KeyRef });

      app.post(
        base,
        {
          schema: {
            tags,
            summary: `Generate (or register) a key of a ${owner.param}`,
            description: `Generates a key for the ${owner.param} (the plaintext is in \`api_key\` of this answer only, with \`Cache-Control: no-store\`), or registers one given as \`api_key\` (a value, loopback or token-protected connections only) or \`sha256\` (a push issuer's digest). A name that is a UUID is refused: a UUID in a path is an id.`,
            params,
            body: GenerateKeyBody,
            response: { 201: ApiKeyWithSecret, ...ErrorResponses(400, 403, 404, 409) },
          },
        },
        async (request, reply) => {
          assertNotUuidName((request.body as GenerateKeyInput).name);
          const result = await keys.create(ownerOf(request), request.body as GenerateKeyInput, facts(request));
          return reply.code(201).send(withSecret(reply, result));
        },
      );
      app.get(
        base,
        {
          schema: {
            tags,
            summary: `List the keys of a ${owner.param} (masked)`,
            description: `One page of the keys the ${owner.param} owns, masked, filtered by \`status\` and \`issuer\`; \`next\` keeps every filter.`,
            params,
            querystring: OwnerListQuery,
            response: { 200: ListResponse(ApiKey), ...ErrorResponses(400, 404) },
          },
        },
        async (request) => listKeys(request, ownerOf(request), true),
      );
      app.get(
        `${base}/:name`,
        {
          schema: {
            tags,
            summary: 'Show one key (masked)',
            description: 'The key named in the path by its id (a UUID) or its name, under its owner only; masked, never its secret.',
            params: named,
            response: { 200: ApiKey, ...ErrorResponses(404) },
          },
        },
        async (request) => view(await refs.show(ownerOf(request), pathParam(request, 'name'))),
      );
      app.post(
        `${base}/:name/regenerate`,
        {
          schema: {
            tags,
            summary: 'Replace the secret of a key (optionally keeping the old one for grace_period seconds)',
            description:
              "Gives the active key named in the path (by id or name) a new secret, shown once in `api_key`; the old secret keeps working `grace_period` seconds more, never past the key's expiry. With `?wait=`, answers once every live node applied it.",
            params: named,
            querystring: WaitQuery,
            body: RegenerateKeyBody,
            response: { 200: Type.Union([ApiKeyWithSecret, RegeneratedWaited]), 202: RegeneratedPending, ...ErrorResponses(400, 404) },
          },
        },
        async (request, reply) => {
          const { value, waited } = await propagatedWrite(propagated, request, reply, () =>
            refs.regenerate(ownerOf(request), pathParam(request, 'name'), (request.body ?? {}) as RegenerateKeyInput),
          );
          const body = withSecret(reply, value);
          return waited ? reply.code(waited.status).send({ ...body, ...waited.body }) : body;
        },
      );
      app.put(
        `${base}/:name`,
        {
          schema: {
            tags,
            summary: 'Set the value of a key (ours or external)',
            description:
              'Sets the value of the key named in the path: by name, creates the key (201) or replaces its value (200); by id, replaces the value of that active key (404 otherwise, never creates). A value in our format is ours, any other is external.',
            params: named,
            body: SetKeyBody,
            response: { 200: ApiKey, 201: ApiKey, ...ErrorResponses(400, 403, 404, 409) },
          },
        },
        async (request, reply) => {
          const { record, created } = await refs.set(ownerOf(request), pathParam(request, 'name'), request.body as SetKeyInput, facts(request));
          return reply.code(created ? 201 : 200).send(view(record));
        },
      );
      app.delete(
        `${base}/:name`,
        {
          schema: {
            tags,
            summary: 'Revoke a key',
            description: `Revokes the key named in the path (by id or name): 204, also for an unknown or already revoked key of the ${owner.param}, or the id of another owner's key (it leaks nothing); 404 when the ${owner.param} does not exist. With \`?wait=\`, answers once every live node refuses the key (200), or 202 naming the nodes still pending.`,
            params: named,
            querystring: WaitQuery,
            response: { 200: Type.Object({ propagation: PropagationSchema }), 202: PendingBody, 204: NoContent, ...ErrorResponses(400, 404) },
          },
        },
        async (request, reply) => {
          const { waited } = await propagatedWrite(propagated, request, reply, () => refs.revoke(ownerOf(request), pathParam(request, 'name')));
          return waited ? reply.code(waited.status).send(waited.body) : reply.code(204).send();
        },
      );
    }

    app.get(
      '/api-keys',
      {
        schema: {
          tags: ['api-keys'],
          summary: 'List every key (masked)',
          description:
            'One page of every key, of services and consumers, masked, filtered by `status`, `issuer`, `consumer` and `service`; `next` keeps every filter.',
          querystring: AllListQuery,
          response: { 200: ListResponse(ApiKey), ...ErrorResponses(400, 404) },
        },
      },
      async (request) => {
        const q = request.query as {
          size?: number;
          offset?: string;
          status?: 'active' | 'revoked' | 'expired';
          issuer?: string;
          consumer?: string;
          service?: string;
        };
        const owner: OwnerRef = { ...(q.service ? { service: q.service } : {}), ...(q.consumer ? { consumer: q.consumer } : {}) };
        return listKeys(request, owner, false);
      },
    );
    app.post(
      '/api-keys/revocations',
      {
        schema: {
          tags: ['api-keys'],
          summary: 'A remote issuer announces revoked keys: every node forgets them',
          description:
            'A remote issuer names the public ids of keys it revoked; every node drops them from its cache at once instead of waiting for the cache to expire.',
          body: RevocationsBody,
          response: { 202: Type.Object({ accepted: Type.Integer() }), ...ErrorResponses(400) },
        },
      },
      async (request, reply) => {
        const body = request.body as RevocationsInput;
        await keys.announceRevocations(body.key_ids, body.issuer);
        return reply.code(202).send({ accepted: body.key_ids.length });
      },
    );
  };
}
