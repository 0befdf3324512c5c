/**
 * The Key Vault fake answers as the Key Vault REST reference says: the challenge first, tokens
 * checked against the identity fake, api-version from the parsed query, full-URL ids, KeyVaultError
 * bodies, so a wrong client config fails against it.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startAzureIdentityFake, type AzureIdentityFake } from './azure-identity.js';
import { startAzureKeyVaultFake, type AzureKeyVaultFake } from './azure-keyvault.js';

const TENANT = randomUUID();
const OTHER_TENANT = randomUUID();
const CLIENT = randomUUID();
const API = 'api%2Dversion=2025-07-01';

describe('Key Vault fake', () => {
  let identity: AzureIdentityFake;
  let vault: AzureKeyVaultFake;
  before(async () => {
    identity = await startAzureIdentityFake({
      apps: [
        { tenantId: TENANT, clientId: CLIENT, clientSecret: 's' },
        { tenantId: OTHER_TENANT, clientId: CLIENT, clientSecret: 's' },
      ],
    });
    vault = await startAzureKeyVaultFake({ tenantId: TENANT, identity });
  });
  after(async () => {
    await vault.close();
    await identity.close();
  });

  async function tokenFor(tenant: string, scope = 'https://vault.azure.net/.default'): Promise<string> {
    const res = await fetch(`${identity.url}/${tenant}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT, client_secret: 's', scope }).toString(),
    });
    return String(((await res.json()) as { access_token: string }).access_token);
  }
  async function get(path: string, token?: string) {
    const res = await fetch(`${vault.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    return { status: res.status, challenge: res.headers.get('www-authenticate'), body: (await res.json()) as Record<string, any> };
  }

  it('answers a request without a token with the 401 challenge naming the tenant and the vault resource', async () => {
    const res = await get(`/secrets/any/?${API}`);
    assert.equal(res.status, 401);
    assert.equal(res.challenge, `Bearer authorization="https://login.microsoftonline.com/${TENANT}", resource="https://vault.azure.net"`);
    assert.equal(res.body['error'].code, 'Unauthorized');
    assert.match(res.body['error'].message, /^AKV10000: /);
  });

  it('serves the current version (with or without the trailing slash) and each version, with full-URL ids', async () => {
    const v1 = vault.setSecret('Db-Pass', 'one', { contentType: 'text/plain' });
    const v2 = vault.setSecret('db-pass', 'two');
    const token = await tokenFor(TENANT);
    for (const path of [`/secrets/db-pass/?${API}`, `/secrets/DB-PASS?${API}`]) {
      const res = await get(path, token);
      assert.equal(res.status, 200, path);
      assert.deepEqual([res.body['value'], res.body['id']], ['two', `${vault.url}/secrets/Db-Pass/${v2}`], 'names are case-insensitive');
      assert.deepEqual(Object.keys(res.body['attributes']).sort(), ['created', 'enabled', 'recoverableDays', 'recoveryLevel', 'updated']);
      assert.ok(Number.isInteger(res.body['attributes'].created) && res.body['attributes'].created < 1e11, 'epoch seconds');
    }
    const old = await get(`/secrets/db-pass/${v1}?${API}`, token);
    assert.deepEqual([old.body['value'], old.body['contentType']], ['one', 'text/plain']);
    assert.match(v1, /^[0-9a-f]{32}$/);
  });

  it("refuses tokens it should: another tenant's, another audience's, a revoked one (challenge again)", async () => {
    vault.setSecret('x', 'v');
    const cases: [string, () => Promise<string>, string][] = [
      ['another tenant', () => tokenFor(OTHER_TENANT), 'AKV10032'],
      ['another audience', () => tokenFor(TENANT, 'https://management.azure.com/.default'), 'AKV10022'],
      ['a revoked token', async () => (await tokenFor(TENANT)) + '-unknown', 'AKV10013'],
    ];
    for (const [title, make, code] of cases) {
      const res = await get(`/secrets/x/?${API}`, await make());
      assert.equal(res.status, 401, title);
      assert.ok(res.challenge?.startsWith('Bearer authorization='), title);
      assert.match(res.body['error'].message, new RegExp(`^${code}: `), title);
    }
  });

  it('answers errors as KeyVaultError bodies: 404, 403 (permission, disabled), 400 api-version, scenario failures', async () => {
    const token = await tokenFor(TENANT);
    vault.setSecret('off', 'v', { enabled: false });
    const expect = async (path: string, status: number, code: string, inner?: string) => {
      const res = await get(path, token);
      assert.deepEqual([res.status, res.body['error'].code, res.body['error'].innererror?.code], [status, code, inner], path);
    };
    await expect(`/secrets/missing/?${API}`, 404, 'SecretNotFound');
    await expect(`/secrets/off/?${API}`, 403, 'Forbidden', 'SecretDisabled');
    await expect(`/secrets/x/`, 400, 'BadParameter');
    await expect(`/secrets/x/?api-version=1999-01-01`, 400, 'BadParameter');
    await expect(`/secrets/x/not-a-version?${API}`, 400, 'BadParameter');
    vault.allowClients([randomUUID()]);
    await expect(`/secrets/x/?${API}`, 403, 'Forbidden', 'AccessDenied');
    vault.allowClients(null);
    vault.failWith({ status: 429, code: 'Throttled', retryAfter: 7 });
    const throttled = await fetch(`${vault.url}/secrets/x/?${API}`, { headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual([throttled.status, throttled.headers.get('retry-after')], [429, '7']);
    vault.failWith(null);
  });

  it('records a token sent before any challenge as a violation (a fresh vault)', async () => {
    const fresh = await startAzureKeyVaultFake({ tenantId: TENANT, identity });
    try {
      const res = await fetch(`${fresh.url}/secrets/x/?${API}`, { headers: { authorization: `Bearer ${await tokenFor(TENANT)}` } });
      assert.equal(res.status, 400);
      assert.equal(fresh.violations.length, 1);
    } finally {
      await fresh.close();
    }
  });
});
