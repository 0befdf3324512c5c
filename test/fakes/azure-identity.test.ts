/**
 * The Entra ID / managed-identity fake answers as Microsoft's documentation says, so the real
 * credentials tested against it meet the real shapes, and a wrong client config fails.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startAzureIdentityFake, type AzureIdentityFake } from './azure-identity.js';

const TENANT = randomUUID();
const CLIENT = randomUUID();
const SECRET = 'fake-client-secret';
const SYSTEM = randomUUID();
const USER = randomUUID();
const HEADER = 'fake-identity-header';

async function call(url: string, init: RequestInit = {}) {
  const res = await fetch(url, init);
  return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, unknown> };
}

describe('Entra ID and managed identity fake', () => {
  let fake: AzureIdentityFake;
  before(async () => {
    fake = await startAzureIdentityFake({
      apps: [{ tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET }],
      managedIdentities: { tenantId: TENANT, systemAssignedClientId: SYSTEM, userAssignedClientIds: [USER], identityHeader: HEADER },
    });
  });
  after(() => fake.close());

  const token = (form: Record<string, string>, tenant: string = TENANT) =>
    call(`${fake.url}/${tenant}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  const credentials = { grant_type: 'client_credentials', client_id: CLIENT, client_secret: SECRET, scope: 'https://vault.azure.net/.default' };

  it("serves the tenant's OpenID configuration with the endpoints MSAL requires, and refuses an unknown tenant", async () => {
    const ok = await call(`${fake.url}/${TENANT}/v2.0/.well-known/openid-configuration`);
    assert.equal(ok.status, 200);
    assert.equal(ok.body['token_endpoint'], `${fake.url}/${TENANT}/oauth2/v2.0/token`);
    assert.equal(ok.body['issuer'], `${fake.url}/${TENANT}/v2.0`);
    for (const field of ['authorization_endpoint', 'jwks_uri']) assert.equal(typeof ok.body[field], 'string');
    const unknown = await call(`${fake.url}/${randomUUID()}/v2.0/.well-known/openid-configuration`);
    assert.deepEqual([unknown.status, unknown.body['error'], unknown.body['error_codes']], [400, 'invalid_tenant', [90002]]);
  });

  it('issues a token for client credentials, scoped to the resource and the tenant', async () => {
    const ok = await token(credentials);
    assert.equal(ok.status, 200);
    assert.deepEqual(Object.keys(ok.body).sort(), ['access_token', 'expires_in', 'ext_expires_in', 'token_type']);
    const grant = fake.introspect(String(ok.body['access_token']));
    assert.deepEqual(
      { ...grant, expiresAt: 0 },
      { tenantId: TENANT, clientId: CLIENT, audience: 'https://vault.azure.net', via: 'client_credentials', expiresAt: 0 },
    );
    assert.equal(fake.introspect('fake-entra.not-issued'), null);
  });

  it('refuses client credentials as Entra does, with AADSTS codes', async () => {
    const cases: [string, Record<string, string>, string | undefined, number, string, number][] = [
      ['a wrong secret', { ...credentials, client_secret: 'nope' }, undefined, 401, 'invalid_client', 7000215],
      ['an unknown client', { ...credentials, client_id: randomUUID() }, undefined, 400, 'unauthorized_client', 700016],
      ['the app in another tenant', credentials, randomUUID(), 400, 'invalid_tenant', 90002],
      ['a scope without /.default', { ...credentials, scope: 'https://vault.azure.net' }, undefined, 400, 'invalid_scope', 1002012],
      ['another grant', { ...credentials, grant_type: 'password' }, undefined, 400, 'unsupported_grant_type', 70003],
    ];
    for (const [title, form, tenant, status, error, code] of cases) {
      const res = await token(form, tenant);
      assert.deepEqual([res.status, res.body['error'], res.body['error_codes']], [status, error, [code]], title);
      assert.match(String(res.body['error_description']), new RegExp(`^AADSTS${code}: `), title);
    }
  });

  it('never logs the client secret it was sent', async () => {
    await token(credentials);
    const last = fake.requests.at(-1)!;
    assert.ok(!last.body.includes(SECRET));
    assert.match(last.body, /client_secret=\[client_secret\]/);
  });

  it('App Service: issues for the system or a user-assigned identity with the right header and api-version only', async () => {
    const base = `${fake.appServiceEndpoint}?api-version=2019-08-01&resource=${encodeURIComponent('https://vault.azure.net')}`;
    const system = await call(base, { headers: { 'x-identity-header': HEADER } });
    assert.equal(system.status, 200);
    assert.match(String(system.body['expires_on']), /^\d+$/);
    assert.deepEqual(fake.introspect(String(system.body['access_token']))?.clientId, SYSTEM);
    const user = await call(`${base}&client_id=${USER}`, { headers: { 'x-identity-header': HEADER } });
    assert.equal(user.body['client_id'], USER);

    assert.equal((await call(base, { headers: { 'x-identity-header': 'wrong' } })).status, 401);
    assert.equal((await call(base)).status, 401);
    assert.equal((await call(base.replace('2019-08-01', '2017-09-01'), { headers: { 'x-identity-header': HEADER } })).status, 400);
    const unknown = await call(`${base}&client_id=${randomUUID()}`, { headers: { 'x-identity-header': HEADER } });
    assert.deepEqual([unknown.status, unknown.body['error_description']], [400, 'Identity not found']);
  });

  it('IMDS: answers its one path (with or without the trailing slash) with Metadata: true only', async () => {
    const query = `?api-version=2018-02-01&resource=${encodeURIComponent('https://vault.azure.net')}`;
    for (const path of ['/metadata/identity/oauth2/token/', '/metadata/identity/oauth2/token']) {
      const ok = await call(`${fake.imdsHost}${path}${query}`, { headers: { metadata: 'true' } });
      assert.equal(ok.status, 200, path);
      assert.equal(fake.introspect(String(ok.body['access_token']))?.via, 'imds');
    }
    const noHeader = await call(`${fake.imdsHost}/metadata/identity/oauth2/token/${query}`);
    assert.deepEqual([noHeader.status, noHeader.body['error_description']], [400, 'Required metadata header not specified']);
    const proxied = await call(`${fake.imdsHost}/metadata/identity/oauth2/token/${query}`, { headers: { metadata: 'true', 'x-forwarded-for': '10.0.0.1' } });
    assert.equal(proxied.status, 400);
    assert.equal((await call(`${fake.imdsHost}/metadata/identity/oauth2/tokens/${query}`, { headers: { metadata: 'true' } })).status, 404);
  });

  it('revokes, expires and fails tokens on demand', async () => {
    const first = String((await token(credentials)).body['access_token']);
    fake.revokeTokens();
    assert.equal(fake.introspect(first), null);
    fake.tokenLifetimeSeconds(0);
    const expired = String((await token(credentials)).body['access_token']);
    assert.equal(fake.introspect(expired), null);
    fake.tokenLifetimeSeconds(3600);
    fake.failTokenRequests(503);
    try {
      const res = await token(credentials);
      assert.deepEqual([res.status, res.body['error']], [503, 'temporarily_unavailable']);
    } finally {
      fake.failTokenRequests(null);
    }
  });
});
