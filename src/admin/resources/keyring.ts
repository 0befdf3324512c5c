/**
 * The keyring resource of the Admin API, with Kong's names and status codes: inspect the keyring
 * (`GET /keyring`, `/keyring/active`, `/keyring/usage`), make and choose keys (`generate`,
 * `activate`, `import/raw`, `remove`), move keyrings between nodes (`export`, `import`,
 * `recover`, `vault/sync`) and re-encrypt stored values (`rewrap`). Every operation is the
 * KeyringService's (its PortcullisErrors pass through the admin error handler); this file
 * validates, documents and shapes HTTP. Responses that carry key material (generate, export) are
 * sent with `Cache-Control: no-store`.
 */
import type { FastifyReply } from 'fastify';
import Type from 'typebox';
import type { AdminRoutes } from '../admin-server.js';
import { ErrorResponses, NoContent } from '../http-schemas.js';
import { KEY_ID_PATTERN } from '../../keyring/keyring.js';
import type { KeyringService } from '../../keyring/keyring-service.js';
import { PortcullisError } from '../../errors/portcullis-error.js';

/**
 * Longest export accepted by `/keyring/import`: a key costs about 150 characters in an export, so
 * this is thousands of keys, and it stays under the default `admin_max_body_size` (1 MiB).
 */
export const MAX_EXPORT_LENGTH = 1_000_000;
/** Longest recovery private key: an RSA-16384 PEM is about 12 KiB. */
export const MAX_PEM_LENGTH = 16_384;
/**
 * 32 bytes in canonical base64: 43 characters, the last carrying 2 zero bits (so one of 16), then
 * one `=`. Anything else is not exactly 32 bytes.
 */
export const RAW_KEY_PATTERN = '^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$';

const KeyId = Type.String({ pattern: KEY_ID_PATTERN.source, description: 'a keyring key id: 8 characters of [A-Za-z0-9]' });
const Seconds = Type.Union([Type.Number(), Type.Null()]);

const KeyView = Type.Object(
  {
    id: Type.String(),
    kcv: Type.String({ description: 'key check value: first 8 hex of HMAC-SHA256(key, "portcullis-kcv")' }),
    created_at: Type.Integer({ description: 'seconds since the epoch' }),
    active: Type.Boolean(),
    encryptions: Type.Integer({ description: 'encryptions made with this key, all nodes together' }),
    held: Type.Boolean({ description: 'whether this node holds the key material' }),
  },
  { description: 'A keyring key as listed: never its material' },
);
const KeyringStatus = Type.Object({
  strategy: Type.Union([Type.Literal('cluster'), Type.Literal('vault')]),
  ids: Type.Array(Type.String()),
  active: Type.Union([Type.String(), Type.Null()]),
  keys: Type.Array(KeyView),
  missing: Type.Array(Type.String(), { description: 'key ids the database uses that this node does not hold' }),
  complete: Type.Boolean({ description: 'true when this node holds every key the database uses and one is active' }),
});
const GeneratedKey = Type.Object({ id: Type.String(), key: Type.String({ description: 'the key material, base64: shown once' }) });
const KeyIdBody = Type.Object({ key: KeyId }, { additionalProperties: false });
const ExportBody = Type.Object({ data: Type.String({ description: 'the keyring wrapped under `keyring_public_key`: opaque' }) });
const ImportBody = Type.Object(
  {
    data: Type.String({ minLength: 1, maxLength: MAX_EXPORT_LENGTH, description: 'what `POST /keyring/export` returned' }),
    activate: Type.Optional(Type.Boolean({ description: 'also make the export’s active key the active one (default false)' })),
  },
  { additionalProperties: false },
);
const ImportResult = Type.Object({ imported: Type.Array(Type.String()), existing: Type.Array(Type.String()) });
const RawKeyBody = Type.Object(
  { id: KeyId, key: Type.String({ pattern: RAW_KEY_PATTERN, description: 'the key material: 32 bytes, base64' }) },
  { additionalProperties: false },
);
const RemoveBody = Type.Object(
  { key: KeyId, force: Type.Optional(Type.Boolean({ description: 'remove even while stored values use it (they become unreadable)' })) },
  { additionalProperties: false },
);
const RecoverBody = Type.Object(
  {
    recovery_private_key: Type.String({ minLength: 1, maxLength: MAX_PEM_LENGTH, description: 'the private key matching `keyring_recovery_public_key`, PEM' }),
  },
  { additionalProperties: false },
);
const RecoverResult = Type.Object({ recovered: Type.Array(Type.String()), not_recovered: Type.Array(Type.String()) });
const Usage = Type.Object({
  keys: Type.Record(Type.String(), Type.Object({ total: Type.Integer(), by_entity: Type.Record(Type.String(), Type.Integer()) }), {
    description: 'stored encrypted values per key id, in total and by entity',
  }),
  plaintext: Type.Integer({ description: 'values of encrypted fields still stored in plaintext' }),
});
const RewrapProgress = Type.Object({
  status: Type.Union([Type.Literal('idle'), Type.Literal('running'), Type.Literal('done'), Type.Literal('failed')]),
  target_key: Type.Union([Type.String(), Type.Null()]),
  total: Type.Integer(),
  done: Type.Integer(),
  failed: Type.Integer({ description: 'values that could not be re-encrypted (missing key, failed tag): left as they are' }),
  rate: Type.Union([Type.Number(), Type.Null()], { description: 'values per second' }),
  eta_seconds: Seconds,
  started_at: Seconds,
  updated_at: Seconds,
  finished_at: Seconds,
});

export interface KeyringRoutesDeps {
  readonly keyring: KeyringService;
}

export function keyringRoutes(deps: KeyringRoutesDeps): AdminRoutes {
  const { keyring } = deps;
  const tags = ['keyring'];
  /** Key material must not stay in a browser's or a proxy's cache. */
  const noStore = (reply: FastifyReply) => void reply.header('cache-control', 'no-store');

  return (app, kit) => {
    kit.nameSchema(KeyView, 'KeyringKey');
    kit.nameSchema(KeyringStatus, 'KeyringStatus');
    kit.nameSchema(RewrapProgress, 'KeyringRewrapProgress');

    app.get(
      '/keyring',
      {
        schema: {
          tags,
          summary: 'The keyring: key ids, the active key, and what this node lacks',
          description:
            'Every key id the keyring knows with its check value, creation time, use count and whether this node holds its material (never the material itself), the active key, and the keys the database uses that this node lacks.',
          response: { 200: KeyringStatus },
        },
      },
      async () => keyring.status(),
    );
    app.get(
      '/keyring/active',
      {
        schema: {
          tags,
          summary: 'The id of the active key',
          description: 'The id of the key new encrypted values are written with; 503 while the keyring has no active key.',
          response: { 200: Type.Object({ id: Type.String() }), ...ErrorResponses(503) },
        },
      },
      async () => {
        const { active } = await keyring.status();
        if (active === null) throw new PortcullisError('PC_KEYRING_EMPTY');
        return { id: active };
      },
    );
    app.post(
      '/keyring/generate',
      {
        schema: {
          tags,
          summary: 'Make a new key (not active); its material is shown once',
          description:
            'Generates a random 256-bit key and adds it to the keyring without activating it. The answer is the only place its material appears (`Cache-Control: no-store`); activate it with `POST /keyring/activate`.',
          response: { 200: GeneratedKey, ...ErrorResponses(400, 503) },
        },
      },
      async (_request, reply) => {
        noStore(reply);
        return keyring.generate();
      },
    );
    app.post(
      '/keyring/activate',
      {
        schema: {
          tags,
          summary: 'Make a held key the one new values are encrypted with',
          description:
            'Makes a key this node holds the active key: values written from now on are encrypted with it, on every node. Existing values keep their key until a rewrap.',
          body: KeyIdBody,
          response: { 204: NoContent, ...ErrorResponses(400, 404) },
        },
      },
      async (request, reply) => {
        await keyring.activate((request.body as { key: string }).key);
        return reply.code(204).send();
      },
    );
    app.post(
      '/keyring/export',
      {
        schema: {
          tags,
          summary: 'The keyring wrapped under `keyring_public_key`',
          description:
            'The keyring encrypted to the configured `keyring_public_key`, for another node or a backup: only the holder of the matching private key can read it. 400 when no public key is configured.',
          response: { 200: ExportBody, ...ErrorResponses(400) },
        },
      },
      async (_request, reply) => {
        noStore(reply);
        return keyring.exportKeyring();
      },
    );
    app.post(
      '/keyring/import',
      {
        schema: {
          tags,
          summary: 'Merge an export (needs `keyring_private_key`): adds missing keys, removes none',
          description:
            "Reads an export made by `POST /keyring/export` with this node's `keyring_private_key` and adds the keys it lacks; keys already held are kept, none is removed.",
          body: ImportBody,
          response: { 201: ImportResult, ...ErrorResponses(400, 409) },
        },
      },
      async (request, reply) => {
        const body = request.body as { data: string; activate?: boolean };
        return reply.code(201).send(await keyring.importKeyring(body.data, body.activate === undefined ? {} : { activate: body.activate }));
      },
    );
    app.post(
      '/keyring/import/raw',
      {
        schema: {
          tags,
          summary: 'Add one key given as id and material',
          description:
            'Adds one key given as its id and its base64 material (for a key kept outside Portcullis); refused when the id is taken by other material.',
          body: RawKeyBody,
          response: { 201: Type.Object({ id: Type.String() }), ...ErrorResponses(400, 409) },
        },
      },
      async (request, reply) => {
        const body = request.body as { id: string; key: string };
        await keyring.importRaw({ id: body.id, key: body.key });
        return reply.code(201).send({ id: body.id });
      },
    );
    app.post(
      '/keyring/remove',
      {
        schema: {
          tags,
          summary: 'Remove a key: refused while it is active or stored values use it, unless `force`',
          description:
            'Removes a key from the keyring. Refused while it is the active key or stored values are still encrypted with it (rewrap first), unless `force` is set: values under a removed key can no longer be read.',
          body: RemoveBody,
          response: { 204: NoContent, ...ErrorResponses(400, 404, 409) },
        },
      },
      async (request, reply) => {
        const body = request.body as { key: string; force?: boolean };
        await keyring.remove(body.key, body.force === undefined ? {} : { force: body.force });
        return reply.code(204).send();
      },
    );
    app.get(
      '/keyring/usage',
      {
        schema: {
          tags,
          summary: 'Stored encrypted values per key id, by entity',
          description: 'How many stored encrypted values each key id protects, per entity kind: what a rewrap must move before a key can be removed.',
          response: { 200: Usage },
        },
      },
      async () => keyring.usage(),
    );
    app.post(
      '/keyring/recover',
      {
        schema: {
          tags,
          summary: 'Restore keys from the database’s recovery copy with the recovery private key',
          description:
            'Restores keys from the recovery copy kept in the database, decrypted with the recovery private key given in the body; the private key is used for this call only and never stored.',
          body: RecoverBody,
          response: { 200: RecoverResult, ...ErrorResponses(400) },
        },
      },
      async (request) => keyring.recover((request.body as { recovery_private_key: string }).recovery_private_key),
    );
    app.post(
      '/keyring/vault/sync',
      {
        schema: {
          tags,
          summary: '`keyring_strategy: vault`: read the keys from Vault again',
          description: 'With `keyring_strategy: vault`, reads the keyring from Vault again (after a key was added there); 400 with any other strategy.',
          response: { 204: NoContent, ...ErrorResponses(400, 503) },
        },
      },
      async (_request, reply) => {
        await keyring.vaultSync();
        return reply.code(204).send();
      },
    );
    app.post(
      '/keyring/rewrap',
      {
        schema: {
          tags,
          summary: 'Re-encrypt every stored value with the active key, in the background (or show the running rewrap)',
          description:
            'Starts re-encrypting every stored encrypted value with the active key, in the background and in batches; when a rewrap is already running, answers with its progress instead of starting another.',
          response: { 202: RewrapProgress, ...ErrorResponses(503) },
        },
      },
      async (_request, reply) => reply.code(202).send(await keyring.startRewrap()),
    );
    app.get(
      '/keyring/rewrap',
      {
        schema: {
          tags,
          summary: 'Progress of the last rewrap',
          description:
            'The progress of the running or last rewrap: its status and target key, values done, failed and in total, rate, estimated time left, and when it started, was updated and finished.',
          response: { 200: RewrapProgress },
        },
      },
      async () => keyring.rewrapProgress(),
    );
  };
}
