/**
 * The `hcv` backend against the Vault fake (test/fakes/vault-kv2.ts) configured as production
 * would be: HTTPS with the TEST-ONLY CA given as `ca_cert`, a namespace, KV v2 (versions) and an
 * AppRole login, so the suite runs through login, namespace and TLS too. KV v1 and the other auth
 * methods have their own tests beside the backend (a backend has one harness: file name = name).
 */
import { hcvBackend, type HcvConfig } from '../../../src/secrets/backends/hcv/index.js';
import { createLogger } from '../../../src/observability/logger.js';
import { approleConfig } from '../../../src/secrets/backends/hcv/testing/approle-config.js';
import { startVaultFake } from '../../fakes/vault-kv2.js';
import { LOCALHOST_TLS, TEST_CA_PEM } from '../../support/tls-fixtures.js';
import { closedPort } from '../../fakes/fake-server.js';
import type { HarnessFactory } from './harness.js';

const ROOT_TOKEN = 'hvs.contract-root-token-0123456789';
const ROLE_ID = 'contract-role-id-7f3a';
const SECRET_ID = 'contract-secret-id-c41d9e';

const factory: HarnessFactory = async () => {
  const fake = await startVaultFake({ token: ROOT_TOKEN, namespace: 'team/prod', tls: LOCALHOST_TLS, approle: { roleId: ROLE_ID, secretId: SECRET_ID } });
  const unreachable = await closedPort();
  const deps = { logger: createLogger({ level: 'silent' }), env: {}, timeout: 2000 };
  const port = Number(new URL(fake.url).port);
  const config = (extra: Partial<HcvConfig> = {}): HcvConfig => ({
    ...approleConfig(ROLE_ID, SECRET_ID),
    protocol: 'https',
    port,
    namespace: 'team/prod',
    ca_cert: TEST_CA_PEM,
    ...extra,
  });
  let n = 0;
  return {
    factory: hcvBackend,
    backend: () => hcvBackend.create(config(), deps),
    backendWithBadCredentials: () => hcvBackend.create(config({ approle_secret_id: `${SECRET_ID}-wrong` }), deps),
    backendUnreachable: () => hcvBackend.create(config({ port: unreachable }), deps),
    write: async (resource, value) => String(fake.writeSecret('secret', resource, { value })),
    decode: (read) => (JSON.parse(read) as { value: string }).value,
    resource: () => `contract/secret ${++n}`,
    missingVersion: '999999',
    hang: (on) => fake.hang(on),
    // Read when checked, so the tokens the logins issued count too.
    get credentials() {
      return [ROOT_TOKEN, ROLE_ID, SECRET_ID, `${SECRET_ID}-wrong`, ...fake.issuedTokens];
    },
    close: () => fake.close(),
  };
};
export default factory;
