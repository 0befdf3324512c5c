/**
 * Kong's key-auth credential listings, kept working for scripts written against Kong:
 * `GET /consumers/{consumer}/key-auth` (a consumer's keys) and `GET /key-auths` (every key), as
 * read-only aliases of the API-key listings. One difference, documented in docs/kong-migration
 * terms in docs/api-keys.md: Portcullis stores only salted hashes, so a listed key never carries
 * its secret (`key` is absent); the plaintext is shown once, when the key is generated.
 */
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { AdminRoutes } from '../admin-server.js';
import { ErrorResponses, ListQuery, ListResponse, PathParams } from '../http-schemas.js';
import { listBody, type PageQuery } from '../list-response.js';
import { pathParam } from '../entity-params.js';
import type { ApiKeyService, OwnerRef } from '../../apikeys/lifecycle/api-key-service.js';
import { toApiKeyView } from '../../apikeys/lifecycle/api-key-view.js';
import { DEFAULT_PAGE_SIZE } from '../../store/pagination.js';
import { ApiKey } from './api-keys.js';

/** The listing routes; `keys` is the node's API-key service. */
export function keyAuthAliasRoutes(keys: ApiKeyService): AdminRoutes {
  const list = async (request: FastifyRequest, owner: OwnerRef, owned: boolean) => {
    const q = request.query as PageQuery;
    const size = q.size ?? DEFAULT_PAGE_SIZE;
    const page = await keys.list({ owner, owned, size, ...(q.offset ? { offset: q.offset } : {}) });
    return listBody(page, request, size, (record) => toApiKeyView(record, keys.nowSeconds()));
  };
  const tags = ['api-keys'];

  return (app) => {
    app.get(
      '/consumers/:consumer/key-auth',
      {
        schema: {
          tags,
          summary: "A consumer's API keys (Kong's key-auth listing; secrets are never listed)",
          description:
            'Read-only alias of `GET /consumers/{consumer}/api-keys` for scripts written for Kong: the same masked keys. Unlike Kong, a key is never shown in clear: only its hash is stored.',
          params: PathParams({ consumer: Type.String({ minLength: 1, maxLength: 256 }) }),
          querystring: ListQuery,
          response: { 200: ListResponse(ApiKey), ...ErrorResponses(400, 404) },
        },
      },
      async (request) => list(request, { consumer: pathParam(request, 'consumer') }, true),
    );
    app.get(
      '/key-auths',
      {
        schema: {
          tags,
          summary: "Every API key (Kong's key-auth listing; secrets are never listed)",
          description:
            'Read-only alias of `GET /api-keys` for scripts written for Kong: every key, masked. Unlike Kong, a key is never shown in clear: only its hash is stored.',
          querystring: ListQuery,
          response: { 200: ListResponse(ApiKey), ...ErrorResponses(400) },
        },
      },
      async (request) => list(request, {}, false),
    );
  };
}
