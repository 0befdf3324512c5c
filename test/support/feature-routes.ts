/**
 * The feature routes a node adds to its Admin API (API keys, basic-auth credentials), built for
 * an admin harness the way `src/node/node.ts` builds them, over the harness's own store; and a
 * harness with them, for the Admin API input suites.
 */
import assert from 'node:assert/strict';
import type { Config } from '../../src/config/schema.js';
import type { DialectName } from '../../src/store/dialect.js';
import { createTestDatabase } from './databases.js';
import { createAdminHarness, type AdminHarness } from './admin-harness.js';
import { loadConfig } from '../../src/config/load-config.js';
import type { AdminRoutes } from '../../src/admin/admin-server.js';
import { apiKeyRoutes } from '../../src/admin/resources/api-keys.js';
import { basicAuthRoutes } from '../../src/admin/resources/basic-auth.js';
import { createApiKeyService } from '../../src/apikeys/lifecycle/api-key-service.js';
import { createIssuerDirectory } from '../../src/apikeys/lifecycle/issuers.js';
import { createKeyHashers } from '../../src/apikeys/hashing/key-hashers.js';

/** `/…/api-keys` (SHA-256 hashes, the configured issuers) and `/consumers/{c}/basic-auth`. */
export function featureRoutes(config: Config = loadConfig({ env: {} })): AdminRoutes[] {
  const keys: AdminRoutes = (app, kit) =>
    apiKeyRoutes({
      keys: createApiKeyService({
        store: kit.store,
        config: config.api_keys,
        issuers: createIssuerDirectory(config.api_keys.issuers),
        hashers: createKeyHashers('sha256'),
      }),
      tokenProtected: config.admin_token !== undefined,
    })(app, kit);
  return [keys, basicAuthRoutes()];
}

/**
 * An admin harness with the feature routes on a fresh database of `dialect`, holding service
 * `orders` and consumer `alice` (what the Admin API input suites write under). `close` also
 * drops the database.
 */
export async function createOrdersHarness(dialect: DialectName): Promise<AdminHarness> {
  const database = await createTestDatabase(dialect);
  const h = await createAdminHarness(database, { extraRoutes: featureRoutes() });
  assert.equal((await h.call('POST', '/services', { name: 'orders', url: 'http://orders.test' })).status, 201);
  assert.equal((await h.call('POST', '/consumers', { username: 'alice' })).status, 201);
  return {
    ...h,
    async close() {
      await h.close();
      await database.drop();
    },
  };
}
