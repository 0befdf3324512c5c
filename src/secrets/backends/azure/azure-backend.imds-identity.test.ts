/**
 * The azure backend with `managed_identity` on a VM / scale set / AKS node: no App Service variables,
 * so the SDK asks the instance metadata service (IMDS). `AZURE_POD_IDENTITY_AUTHORITY_HOST` (set
 * here, in this process only) moves IMDS from 169.254.169.254 to the fake.
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { azureBackend } from './index.js';
import type { AzureBackendConfig } from './azure-config.js';
import { capturingDeps, expectFailure, startManagedIdentityFakes, type AzureFakes } from '../../../../test/support/azure-fakes.js';

const signal = () => AbortSignal.timeout(10_000);
const VALUE = `value-${randomBytes(8).toString('hex')}`;

describe('azure backend with a managed identity from the instance metadata service', () => {
  const tenantId = randomUUID();
  const systemId = randomUUID();
  const userId = randomUUID();
  let fakes: AzureFakes;
  let config: AzureBackendConfig;
  const imdsCalls = () => fakes.identity.requests.filter((r) => r.path.startsWith('/metadata/'));

  before(async () => {
    ({ fakes, config } = await startManagedIdentityFakes(
      tenantId,
      { tenantId, systemAssignedClientId: systemId, userAssignedClientIds: [userId], identityHeader: 'unused-outside-app-service' },
      (identity) => ({ AZURE_POD_IDENTITY_AUTHORITY_HOST: identity.imdsHost }),
    ));
    fakes.vault.setSecret('db-pass', VALUE);
  });
  after(() => fakes.close());
  afterEach(() => assert.deepEqual(fakes.vault.violations, [], 'the client skipped the challenge'));

  it('reads with the system-assigned identity: one IMDS call (exact path, trailing slash, Metadata: true) for many reads', async () => {
    const backend = azureBackend.create(config, capturingDeps());
    for (let i = 0; i < 5; i++) assert.equal((await backend.read('db-pass', null, {}, signal())).value, VALUE);
    assert.deepEqual(
      fakes.identity.requests.map((r) => `${r.method} ${r.path}`),
      ['GET /metadata/identity/oauth2/token/?api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net'],
    );
    assert.equal(imdsCalls()[0]!.headers['metadata'], 'true');
    assert.equal(imdsCalls()[0]!.headers['x-identity-header'], undefined);
    assert.equal(fakes.identity.introspect(fakes.identity.issued[0]!)?.clientId, systemId);
  });

  it('reads with a user-assigned identity named by client_id', async () => {
    assert.equal((await azureBackend.create({ ...config, client_id: userId }, capturingDeps()).read('db-pass', null, {}, signal())).value, VALUE);
    assert.equal(new URLSearchParams(imdsCalls().at(-1)!.path.split('?')[1]).get('client_id'), userId);
    assert.equal(fakes.identity.introspect(fakes.identity.issued.at(-1)!)?.clientId, userId);
  });

  it('an identity the VM does not have is unauthorized ("Identity not found")', async () => {
    const backend = azureBackend.create({ ...config, client_id: randomUUID() }, capturingDeps());
    await expectFailure(backend.read('db-pass', null, {}, signal()), 'unauthorized', ['400', 'invalid_request'], [...fakes.identity.issued, VALUE]);
  });
});
