/**
 * Vaults (Kong's vault entity): a `prefix` that references name (`{vault://<prefix>/…}`), a
 * backend (`name`: hcv, aws, gcp, azure, conjur, store, env) and its `config`, validated by that
 * backend's own schema plus the common settings (`ttl`, `neg_ttl`, `resurrect_ttl`, `timeout`; see
 * secrets/vault-settings.ts). Credential fields the backend's schema marks `encrypted` are kept
 * through the keyring and never shown by the Admin API unless they hold a `{vault://env/…}` reference.
 */
import Type from 'typebox';
import type { BaseEntity, EntityDefinition } from './entity.js';
import { Tags } from './common-schemas.js';
import { SafeText } from '../schema/safe-text.js';

export interface Vault extends BaseEntity {
  readonly prefix: string;
  readonly name: string;
  readonly description: string | null;
  readonly config: Readonly<Record<string, unknown>>;
  readonly tags: readonly string[];
}

export const VaultInput = Type.Object(
  {
    prefix: Type.String({
      pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
      description: 'What references name: `{vault://<prefix>/…}`. Not `env` (built in).',
    }),
    name: Type.String({ pattern: '^[a-z][a-z0-9_-]{0,31}$', description: 'The backend: hcv, aws, gcp, azure, conjur, store or env.' }),
    description: Type.Optional(Type.Union([SafeText({ maxLength: 1000 }), Type.Null()])),
    config: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);

export const vaultsDefinition: EntityDefinition<Vault> = {
  name: 'vaults',
  singular: 'vault',
  endpointKey: 'prefix',
  inputSchema: VaultInput,
  fields: {
    prefix: { kind: 'string', unique: true },
    name: { kind: 'string' },
    description: { kind: 'string' },
    config: { kind: 'json' },
    tags: { kind: 'json' },
  },
  defaults: { description: null, config: {}, tags: [] },
};
