/**
 * Vaults in the Admin API: the generated CRUD of `/vaults` (Kong's shape; `{vault}` is the id or
 * the prefix), with credential fields never shown — a field the backend's schema marks `encrypted`
 * shows as null unless it holds a `{vault://env/…}` reference — and `GET /vaults/references`, the
 * health of every reference in use: where, status, last and next refresh, last error; never a value;
 * and the write-only secrets of the built-in `store` backend under `/vaults/{vault}/secrets`.
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
import { redactSecrets } from '../../secrets/redact-secrets.js';
import { ErrorResponses, NoContent } from '../http-schemas.js';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.js';
import { PortcullisError } from '../../errors/portcullis-error.js';
import { STORE_SECRET_KEY_PATTERN } from '../../secrets/backends/store/store-backend.js';

export interface VaultRoutesDeps {
  readonly secrets: SecretResolver;
  readonly backends: readonly VaultBackendFactory[];
  /** `vault_max_value_size`: the largest value a store secret may hold. */
  readonly maxValueSize: number;
}

const SecretParams = Type.Object({ vault: Type.String({ minLength: 1, maxLength: 128 }), key: Type.String({ pattern: STORE_SECRET_KEY_PATTERN }) });
const VaultParams = Type.Object({ vault: Type.String({ minLength: 1, maxLength: 128 }) });
const SecretInput = Type.Object({ value: Type.String({ minLength: 1 }) }, { additionalProperties: false });
const SecretVersion = Type.Object({ key: Type.String(), version: Type.Integer(), created_at: Type.Integer() });
const SecretSummary = Type.Object({
  key: Type.String(),
  current_version: Type.Integer(),
  versions: Type.Array(Type.Integer()),
  updated_at: Type.Integer({ description: 'Unix time of the newest version' }),
});

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
        return { ...shown, config: redactSecrets(shown['config'], encryptedPaths(shown)) };
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
          description:
            'Every `{vault://…}` reference the configuration uses, where it is used, and whether it resolves now (with the error when not); a secret value is never shown.',
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
    registerEntityEndpoints(app, kit.store, resource, kit.propagation);
    registerStoreSecretEndpoints(app, kit.store, deps.maxValueSize);
  };
}

/**
 * The built-in store's secrets: write-only values. `PUT` writes a new version and answers its
 * number (201 for a new key), `GET` lists keys and versions, `DELETE` removes every version; no
 * endpoint ever returns a value. Every node refreshes what reads the key when the write commits.
 */
function registerStoreSecretEndpoints(app: FastifyInstance, store: Store, maxValueSize: number): void {
  const tags = ['vaults'];
  const storeVault = async (idOrPrefix: string) => {
    const vault = await store.vaults.getOrFail(idOrPrefix);
    if (vault.name !== 'store') {
      throw new PortcullisError('PC_BAD_REQUEST', { message: `vault "${vault.prefix}" uses the ${vault.name} backend; only store vaults hold secrets here` });
    }
    return vault;
  };
  app.put(
    '/vaults/:vault/secrets/:key',
    {
      schema: {
        tags,
        summary: 'Write a new version of a store secret (the value is never returned)',
        description:
          "Stores the body's value as the new version of a secret of a `store` vault, encrypted under the keyring; references to the key resolve to the new version. The answer names the version, never the value.",
        params: SecretParams,
        body: SecretInput,
        response: { 200: SecretVersion, 201: SecretVersion, ...ErrorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const { vault: ref, key } = request.params as { vault: string; key: string };
      const { value } = request.body as { value: string };
      if (Buffer.byteLength(value) > maxValueSize) {
        throw new PortcullisError('PC_VALIDATION_FAILED', {
          fields: [{ path: 'value', message: `must be at most ${maxValueSize} bytes (vault_max_value_size)` }],
        });
      }
      const vault = await storeVault(ref);
      const maxVersions = Number((vault.config as { max_versions?: number }).max_versions ?? 10);
      const written = await store.vaultSecrets.put(vault.id, key, value, maxVersions);
      return reply.code(written.version === 1 ? 201 : 200).send(written);
    },
  );
  app.get(
    '/vaults/:vault/secrets',
    {
      schema: {
        tags,
        summary: "List a store vault's secrets: keys, versions, update times (never values)",
        description: 'The secrets of a `store` vault: their keys, versions and update times; values are never listed.',
        params: VaultParams,
        response: { 200: Type.Object({ data: Type.Array(SecretSummary) }), ...ErrorResponses(400, 404) },
      },
    },
    async (request) => {
      const vault = await storeVault((request.params as { vault: string }).vault);
      return { data: await store.vaultSecrets.list(vault.id) };
    },
  );
  app.delete(
    '/vaults/:vault/secrets/:key',
    {
      schema: {
        tags,
        summary: 'Delete every version of a store secret',
        description: 'Deletes every version of a secret of a `store` vault; references to it fail to resolve from then on.',
        params: SecretParams,
        response: { 204: NoContent, ...ErrorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      const { vault: ref, key } = request.params as { vault: string; key: string };
      const vault = await storeVault(ref);
      await store.vaultSecrets.delete(vault.id, key);
      return reply.code(204).send();
    },
  );
}
