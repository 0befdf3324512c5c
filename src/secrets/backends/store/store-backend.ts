/**
 * The built-in `store` backend, for users with no external vault (Kong Konnect's Config Store):
 * secrets live in Portcullis's own database, encrypted by the keyring (store/vault-secret-dao.ts),
 * written only through `PUT /vaults/{prefix}/secrets/{key}` and never returned by any endpoint.
 * `{vault://<prefix>/<key>}` reads the newest version, `#<n>` an older one; a `/<json key>` picks
 * a field of a JSON value. Only vault entities can use it (it needs the vault's row).
 */
import Type from 'typebox';
import { VaultBackendError, type VaultBackendFactory } from '../../vault-backend.js';
import type { Store } from '../../../store/store.js';
import { PortcullisError } from '../../../errors/portcullis-error.js';

export const STORE_SECRET_KEY_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$';
const KEY = new RegExp(STORE_SECRET_KEY_PATTERN);

export const StoreBackendConfig = Type.Object(
  {
    max_versions: Type.Integer({
      default: 10,
      minimum: 1,
      maximum: 1000,
      description: 'Versions kept per key; older ones are deleted when a write goes past it.',
    }),
  },
  { additionalProperties: false },
);

export function createStoreBackend(store: Pick<Store, 'vaults' | 'vaultSecrets'>): VaultBackendFactory<{ max_versions: number }> {
  return {
    name: 'store',
    description: "Portcullis's own database, encrypted by the keyring (written through the Admin API, never read back).",
    configSchema: StoreBackendConfig,
    supportsVersions: true,
    referenceOptions: [],
    create(_config, deps) {
      return {
        async read(resource, version) {
          if (!KEY.test(resource)) throw new VaultBackendError('not_found', `"${resource}" is not a store secret key`);
          if (version !== null && !/^[1-9][0-9]{0,8}$/.test(version)) throw new VaultBackendError('not_found', `"${version}" is not a version number`);
          try {
            const vault = deps.vault === undefined ? null : await store.vaults.get(deps.vault);
            if (!vault || vault.name !== 'store') throw new VaultBackendError('not_found', `vault "${deps.vault}" is not a store vault in the database`);
            const value = await store.vaultSecrets.get(vault.id, resource, version === null ? null : Number(version));
            if (value === null)
              throw new VaultBackendError('not_found', version === null ? `no secret "${resource}"` : `no version ${version} of "${resource}"`);
            return { value, ...(version !== null ? { version } : {}) };
          } catch (err) {
            if (err instanceof VaultBackendError) throw err;
            const code = err instanceof PortcullisError ? err.code : 'database error';
            throw new VaultBackendError('unavailable', `"${resource}" could not be read (${code})`);
          }
        },
      };
    },
  };
}
