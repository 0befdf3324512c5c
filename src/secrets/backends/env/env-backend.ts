/**
 * The built-in `env` backend: `{vault://env/my-secret}` reads `MY_SECRET` (upper-cased, `-` → `_`),
 * after an optional `prefix` (the vault's config or the reference's `?prefix=`, Kong's option).
 * The environment is the one the node was started with; it has no versions.
 */
import Type from 'typebox';
import { VaultBackendError, type VaultBackendFactory } from '../../vault-backend.js';

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
