/**
 * The azure backend: the real `@azure/keyvault-secrets` and `@azure/identity` clients against the
 * Key Vault and Entra ID fakes (HTTPS on loopback, challenge-based auth, client credentials).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { azureBackend } from '../../../src/secrets/backends/azure/index.js';
import type { AzureBackendConfig } from '../../../src/secrets/backends/azure/azure-config.js';
import { createLogger } from '../../../src/observability/logger.js';
import { sealAzureEnvironment, startAzureIdentityFake } from '../../fakes/azure-identity.js';
import { startAzureKeyVaultFake } from '../../fakes/azure-keyvault.js';
import { closedPort } from '../../fakes/fake-server.js';
import type { HarnessFactory } from './harness.js';

const factory: HarnessFactory = async () => {
  sealAzureEnvironment();
  const tenantId = randomUUID();
  const clientId = randomUUID();
  const clientSecret = `fake-client-secret-${randomBytes(12).toString('base64url')}`;
  const identity = await startAzureIdentityFake({ apps: [{ tenantId, clientId, clientSecret }] });
  const vault = await startAzureKeyVaultFake({ tenantId, identity });
  const config: AzureBackendConfig = {
    vault_uri: vault.url,
    auth_method: 'client_secret',
    tenant_id: tenantId,
    client_id: clientId,
    client_secret: clientSecret,
    authority_host: identity.url,
    disable_challenge_resource_verification: true,
  };
  const deps = { logger: createLogger({ level: 'silent' }), env: {}, timeout: 5000 };
  const unreachable = `https://127.0.0.1:${await closedPort()}`;
  let n = 0;
  return {
    factory: azureBackend,
    backend: () => azureBackend.create(config, deps),
    backendWithBadCredentials: () => azureBackend.create({ ...config, client_secret: `${clientSecret}-wrong` }, deps),
    backendUnreachable: () => azureBackend.create({ ...config, vault_uri: unreachable }, deps),
    write: async (resource, value) => vault.setSecret(resource, value),
    decode: (v) => v,
    resource: () => `contract-secret-${++n}`,
    missingVersion: randomBytes(16).toString('hex'),
    hang: (on) => vault.hang(on),
    // The client secret and every token the identity fake handed out.
    get credentials() {
      return [clientSecret, ...identity.issued];
    },
    async close() {
      await vault.close();
      await identity.close();
    },
  };
};
export default factory;
