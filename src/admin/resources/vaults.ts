/**
 * Vaults in the Admin API: the generated CRUD of `/vaults` (Kong's shape; `{vault}` is the id or
 * the prefix), with credential fields never shown — a field the backend's schema marks `encrypted`
 * shows as null unless it holds a `{vault://env/…}` reference — and `GET /vaults/references`, the
 * health of every reference in use: where, status, last and next refresh, last error; never a value.
 */
import Type from 'typebox';
import type { AdminRoutes } from '../admin-server.js';
import { entityResource } from '../entity-resource.js';
import { registerEntityEndpoints } from '../entity-endpoints.js';
import { nameResourceSchemas } from '../entity-api.js';
import { vaultsDefinition } from '../../entities/vaults.js';
import type { EntityDefinition } from '../../entities/entity.js';
import type { SecretResolver } from '../../secrets/secret-resolver.js';
import type { VaultBackendFactory } from '../../secrets/vault-backend.js';
import { vaultEncryptedPaths } from '../../secrets/vault-store.js';
import { ErrorResponses } from '../http-schemas.js';

export interface VaultRoutesDeps {
  readonly secrets: SecretResolver;
  readonly backends: readonly VaultBackendFactory[];
}

const ReferenceHealth = Type.Object({
  reference: Type.String(),
  vault: Type.String(),
  status: Type.Union([Type.Literal('resolved'), Type.Literal('stale'), Type.Literal('failing'), Type.Literal('unresolvable')]),
  used_by: Type.Array(Type.String(), { description: '`config:<key>`, `plugins/<id>:config.<path>` …' }),
  last_refresh: Type.Union([Type.Integer(), Type.Null()], { description: 'Unix time of the last successful fetch' }),
  next_refresh: Type.Union([Type.Integer(), Type.Null()], { description: 'Unix time of the next scheduled fetch' }),
  last_error: Type.Union([Type.Object({ code: Type.String(), message: Type.String(), at: Type.Integer() }), Type.Null()]),
  version: Type.Union([Type.String(), Type.Null()]),
});

const StatusQuery = Type.Object(
  { status: Type.Optional(Type.Union([Type.Literal('resolved'), Type.Literal('stale'), Type.Literal('failing'), Type.Literal('unresolvable')])) },
  { additionalProperties: false },
);

export function vaultRoutes(deps: VaultRoutesDeps): AdminRoutes {
  return (app, kit) => {
    const encryptedPaths = vaultEncryptedPaths(deps.backends);
    const base = entityResource(vaultsDefinition as unknown as EntityDefinition);
    const resource = {
      ...base,
      view(entity: Parameters<typeof base.view>[0]) {
        const shown = base.view(entity);
        const config = { ...(shown['config'] as Record<string, unknown>) };
        for (const path of encryptedPaths(shown)) {
          const [key] = path;
          if (path.length === 1 && key !== undefined && typeof config[key] === 'string' && !(config[key] as string).includes('{vault://')) config[key] = null;
        }
        return { ...shown, config };
      },
    };
    nameResourceSchemas(resource, kit.nameSchema);
    kit.nameSchema(ReferenceHealth, 'VaultReferenceHealth');

    // Registered before `/vaults/:vault`, and `references` is a reserved prefix, so the two never meet.
    app.get(
      '/vaults/references',
      {
        schema: {
          tags: ['vaults'],
          summary: 'Every vault reference in use, with its health (never its value)',
          querystring: StatusQuery,
          response: { 200: Type.Object({ data: Type.Array(ReferenceHealth) }), ...ErrorResponses(400) },
        },
      },
      async (request) => {
        const { status } = request.query as { status?: string };
        const all = deps.secrets.health();
        return { data: status ? all.filter((h) => h.status === status) : all };
      },
    );
    registerEntityEndpoints(app, kit.store, resource);
  };
}
