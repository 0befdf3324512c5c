/**
 * The built-in `env` backend: `{vault://env/my-secret}` reads `MY_SECRET` (upper-cased, `-` → `_`),
 * after an optional `prefix` (the vault's config or the reference's `?prefix=`, Kong's option).
 * The environment is the one the node was started with; it has no versions.
 */
import Type from 'typebox';
import { VaultBackendError, type VaultBackendFactory } from '../../vault-backend.js';
import { findFieldReference } from '../../reference.js';
import { PortcullisError } from '../../../errors/portcullis-error.js';

export const EnvBackendConfig = Type.Object(
  {
    prefix: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_]{0,64}$', description: 'Prepended to every variable name (`PORTCULLIS_SECRET_`).' })),
  },
  { additionalProperties: false },
);

/** The variable a resource names: `my-secret` with prefix `app_` → `APP_MY_SECRET`. */
export function envVariableName(resource: string, prefix = ''): string {
  return `${prefix}${resource}`.toUpperCase().replace(/-/g, '_');
}

const NAME = /^[A-Za-z0-9_-]{1,256}$/;

export const envBackend: VaultBackendFactory<{ prefix?: string }> = {
  name: 'env',
  description: 'Environment variables of the Portcullis process.',
  configSchema: EnvBackendConfig,
  supportsVersions: false,
  referenceOptions: ['prefix'],
  create(config, deps) {
    return {
      async read(resource, _version, options) {
        if (!NAME.test(resource)) throw new VaultBackendError('not_found', `"${resource}" is not an environment variable name`);
        const name = envVariableName(resource, options['prefix'] ?? config.prefix ?? '');
        if (!/^[A-Z0-9_]+$/.test(name)) throw new VaultBackendError('not_found', `"${name}" is not an environment variable name`);
        const value = deps.env[name];
        if (value === undefined) throw new VaultBackendError('not_found', `environment variable ${name} is not set`);
        return { value };
      },
    };
  },
};

/**
 * A field value with its `{vault://env/…}` reference (whole or embedded) replaced, synchronously:
 * for what must be read before any resolver exists or without one (a vault's own credentials, the
 * keyring's Vault token). A reference to another vault, or one that cannot be read, throws a
 * PortcullisError naming `where` and the reference, never a value.
 */
export function resolveEnvField(value: string, env: Readonly<Record<string, string | undefined>>, where: string): string {
  const found = findFieldReference(value);
  if (found.kind === 'none') return value;
  if (found.kind === 'malformed') throw new PortcullisError('PC_VAULT_UNRESOLVED', { message: `${where} ${found.problem}` });
  if (found.parsed.prefix !== 'env')
    throw new PortcullisError('PC_VAULT_UNRESOLVED', { message: `${where} may only reference the environment ({vault://env/…})` });
  const name = envVariableName(found.parsed.resource, found.parsed.options['prefix'] ?? '');
  const raw = env[name];
  if (raw === undefined) throw new PortcullisError('PC_VAULT_NOT_FOUND', { message: `${where}: ${found.reference} names ${name}, which is not set` });
  let resolved = raw;
  if (found.parsed.key !== null) {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      throw new PortcullisError('PC_VAULT_NOT_FOUND', { message: `${where}: ${found.reference}: ${name} does not hold JSON` });
    }
    const picked =
      json !== null && typeof json === 'object' && Object.hasOwn(json, found.parsed.key) ? (json as Record<string, unknown>)[found.parsed.key] : undefined;
    if (typeof picked !== 'string')
      throw new PortcullisError('PC_VAULT_NOT_FOUND', { message: `${where}: ${found.reference}: no text under key "${found.parsed.key}"` });
    resolved = picked;
  }
  return found.before + resolved + found.after;
}
