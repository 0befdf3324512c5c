/**
 * The azure backend with `managed_identity` on App Service / Functions: the SDK finds the identity
 * endpoint in `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` (set here, in this process only, before any
 * credential exists: MSAL picks the source once per process) and the fake plays that endpoint.
 */
import { describe, it, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { azureBackend } from './index.js';
import type { AzureBackendConfig } from './azure-config.js';
import { startAzureKeyVaultFake } from '../../../../test/fakes/azure-keyvault.js';
import { capturingDeps, expectFailure, startManagedIdentityFakes, type AzureFakes } from '../../../../test/support/azure-fakes.js';

const signal = () => AbortSignal.timeout(10_000);
const VALUE = `value-${randomBytes(8).toString('hex')}`;

describe('azure backend with an App Service managed identity', () => {
  const tenantId = randomUUID();
  const systemId = randomUUID();
  /** One user-assigned identity per test that must miss MSAL's process-wide token cache. */
  const userIds = Array.from({ length: 5 }, () => randomUUID());
  const identityHeader = `fake-identity-header-${randomBytes(12).toString('base64url')}`;
  let fakes: AzureFakes;
  let config: AzureBackendConfig;
  const secrets = () => [identityHeader, ...fakes.identity.issued, VALUE];
  const tokenCalls = () => fakes.identity.requests.filter((r) => r.path.startsWith('/msi/token/'));
  /** Runs `check` while the identity endpoint answers every token request with `status`. */
  const whileTokenRequestsFail = async (status: number, check: () => Promise<unknown>) => {
    fakes.identity.failTokenRequests(status);
    try {
      await check();
    } finally {
      fakes.identity.failTokenRequests(null);
    }
  };

  before(async () => {
    ({ fakes, config } = await startManagedIdentityFakes(
      tenantId,
      { tenantId, systemAssignedClientId: systemId, userAssignedClientIds: userIds, identityHeader },
      (identity) => ({ IDENTITY_ENDPOINT: identity.appServiceEndpoint, IDENTITY_HEADER: identityHeader }),
    ));
    fakes.vault.setSecret('db-pass', VALUE);
  });
  after(() => fakes.close());
  afterEach(() => assert.deepEqual(fakes.vault.violations, [], 'the client skipped the challenge'));

  it('reads with the system-assigned identity: one App Service token call, with the identity header, for many reads', async () => {
    const backend = azureBackend.create(config, capturingDeps());
    for (let i = 0; i < 10; i++) assert.equal((await backend.read('db-pass', null, {}, signal())).value, VALUE);

    assert.deepEqual(
      fakes.identity.requests.map((r) => `${r.method} ${r.path}`),
      ['GET /msi/token/?api-version=2019-08-01&resource=https%3A%2F%2Fvault.azure.net'],
      'one token call, to the App Service endpoint only (no Entra authority)',
    );
    assert.equal(tokenCalls()[0]!.headers['x-identity-header'], identityHeader);
    assert.equal(fakes.vault.requests[0]!.headers.authorization, undefined, 'the first vault request carries no token');
    const token = String(fakes.vault.requests[1]!.headers.authorization).slice('Bearer '.length);
    assert.deepEqual(
      { ...fakes.identity.introspect(token), expiresAt: 0 },
      { tenantId, clientId: systemId, audience: 'https://vault.azure.net', via: 'app_service', expiresAt: 0 },
    );
  });

  it("a second backend of the process reuses the identity's token (MSAL caches managed-identity tokens process-wide)", async () => {
    const before = tokenCalls().length;
    assert.equal((await azureBackend.create(config, capturingDeps()).read('db-pass', null, {}, signal())).value, VALUE);
    assert.equal(tokenCalls().length, before);
  });

  it('reads with a user-assigned identity named by client_id', async () => {
    const clientId = userIds[0]!;
    assert.equal((await azureBackend.create({ ...config, client_id: clientId }, capturingDeps()).read('db-pass', null, {}, signal())).value, VALUE);
    const call = tokenCalls().at(-1)!;
    assert.equal(new URLSearchParams(call.path.split('?')[1]).get('client_id'), clientId);
    assert.equal(fakes.identity.introspect(fakes.identity.issued.at(-1)!)?.clientId, clientId);
  });

  it('an identity the host does not have is unauthorized', async () => {
    const backend = azureBackend.create({ ...config, client_id: randomUUID() }, capturingDeps());
    await expectFailure(backend.read('db-pass', null, {}, signal()), 'unauthorized', ['400', 'invalid_request'], secrets());
  });

  it('an identity endpoint refusing the caller (401) is unauthorized', async () => {
    // (MSAL reads IDENTITY_HEADER once per process, with the source, so a wrong header cannot be set
    // here; the fake's own test covers its 401 for one.)
    await whileTokenRequestsFail(401, async () => {
      const backend = azureBackend.create({ ...config, client_id: userIds[1]! }, capturingDeps());
      await expectFailure(backend.read('db-pass', null, {}, signal()), 'unauthorized', ['401'], secrets());
    });
  });

  it("a vault in another tenant refuses the identity's token: unauthorized after one more try", async () => {
    const otherVault = await startAzureKeyVaultFake({ tenantId: randomUUID(), identity: fakes.identity });
    try {
      otherVault.setSecret('db-pass', VALUE);
      const deps = capturingDeps();
      await expectFailure(
        azureBackend.create({ ...config, vault_uri: otherVault.url }, deps).read('db-pass', null, {}, signal()),
        'unauthorized',
        ['401'],
        secrets(),
      );
      assert.equal(deps.lines.length, 1, 'the refused token was noted once');
      assert.deepEqual(otherVault.violations, []);
    } finally {
      await otherVault.close();
    }
  });

  it('an identity endpoint answering 503 is unavailable', async () => {
    await whileTokenRequestsFail(503, async () => {
      const backend = azureBackend.create({ ...config, client_id: userIds[2]! }, capturingDeps());
      await expectFailure(backend.read('db-pass', null, {}, signal()), 'unavailable', ['503'], secrets());
    });
  });

  it('an identity endpoint that hangs (the SDK gives it no abort signal): the read ends at its deadline as unavailable', async () => {
    fakes.identity.hang(true);
    try {
      const backend = azureBackend.create({ ...config, client_id: userIds[3]! }, capturingDeps());
      const started = Date.now();
      await expectFailure(backend.read('db-pass', null, {}, AbortSignal.timeout(300)), 'unavailable', ['aborted'], secrets());
      assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
    } finally {
      fakes.identity.hang(false);
    }
  });
});
