/**
 * The built-in store backend against the real database (PostgreSQL, so "unreachable" is a real
 * refused connection): secrets written through the DAO the Admin API uses, read back through the backend.
 */
import { createStoreBackend } from '../../../src/secrets/backends/store/store-backend.js';
import { createStore } from '../../../src/store/store.js';
import { TEST_CIPHER } from '../../../src/store/testing/test-cipher.js';
import { createLogger } from '../../../src/observability/logger.js';
import { createTestDatabase } from '../../support/databases.js';
import type { HarnessFactory } from './harness.js';

const factory: HarnessFactory = async () => {
  const database = await createTestDatabase('postgres');
  const store = createStore({ cipher: TEST_CIPHER, config: database.config });
  const migrated = await store.migrate();
  if (migrated.error) throw migrated.error;
  const vault = await store.vaults.insert({ prefix: 'contract-store', name: 'store', config: { max_versions: 10 } });
  const backendFactory = createStoreBackend(store);
  const deps = { logger: createLogger({ level: 'silent' }), env: {}, timeout: 2000, vault: vault.prefix };
  // A store on a port where nothing listens: its reads fail to connect.
  const { pg_url: _url, ...withoutUrl } = database.config;
  const unreachable = createStore({ cipher: TEST_CIPHER, config: { ...withoutUrl, pg_port: 9 } });
  let n = 0;
  return {
    factory: backendFactory,
    backend: () => backendFactory.create({ max_versions: 10 }, deps),
    backendWithBadCredentials: () => null,
    backendUnreachable: () => createStoreBackend(unreachable).create({ max_versions: 10 }, deps),
    write: async (resource, value) => String((await store.vaultSecrets.put(vault.id, resource, value, 10)).version),
    decode: (v) => v,
    resource: () => `contract-secret-${++n}`,
    missingVersion: '999999',
    hang: null,
    credentials: [],
    async close() {
      await unreachable.close();
      await store.close();
      await database.drop();
    },
  };
};
export default factory;
