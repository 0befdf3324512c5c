/**
 * The feature routes a node adds to its Admin API (API keys, basic-auth credentials), built for
 * an admin harness the way `src/node/node.ts` builds them, over the harness's own store.
 */
import type { Config } from '../../src/config/schema.js';
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
