/**
 * The Vault fake's logins, tokens and scenario switches answer as Vault's auth docs say, so the
 * `hcv` backend's login, renewal and re-login are tested against Vault's real shapes and statuses.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startVaultFake, type VaultFake } from './vault-kv2.js';

const ROOT = 'hvs.fake-root-for-auth-tests';
const ROLE_ID = 'role-1234';
const SECRET_ID = 'secret-5678';
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2ln';

async function call(fake: VaultFake, method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${fake.url}${path}`, {
    method,
    headers: { 'x-vault-namespace': 'team', ...options.headers },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text === '' ? null : (JSON.parse(text) as Record<string, any>) };
}

describe('Vault fake: logins and tokens', () => {
  let fake: VaultFake;
  before(async () => {
    fake = await startVaultFake({
      token: ROOT,
      namespace: 'team',
      v1Mounts: ['kv1'],
      approle: { roleId: ROLE_ID, secretId: SECRET_ID, ttl: 2, maxTtl: 3 },
      kubernetes: { mount: 'k8s/prod', role: 'gateway', jwt: JWT, ttl: 60, renewable: false },
    });
    fake.writeV1Secret('kv1', 'app', { password: 'p' });
  });
  after(() => fake.close());

  it('issues a token on an AppRole login with no token, answering Vault’s auth block', async () => {
    const res = await call(fake, 'POST', '/v1/auth/approle/login', { body: { role_id: ROLE_ID, secret_id: SECRET_ID } });
    assert.equal(res.status, 200);
    assert.equal(res.body!.data, null);
    const auth = res.body!.auth;
    assert.match(auth.client_token, /^hvs\./);
    assert.equal(auth.lease_duration, 2);
    assert.equal(auth.renewable, true);
    assert.deepEqual(auth.metadata, { role_name: 'portcullis' });
    assert.equal(fake.issuedTokens.at(-1), auth.client_token);
    const read = await call(fake, 'GET', '/v1/kv1/app', { headers: { 'x-vault-token': auth.client_token } });
    assert.equal(read.status, 200);
  });

  it('refuses AppRole logins as Vault does: 400 for a wrong pair or a missing field', async () => {
    for (const [body, message] of [
      [{ role_id: ROLE_ID, secret_id: 'nope' }, 'invalid role or secret ID'],
      [{ role_id: 'nope', secret_id: SECRET_ID }, 'invalid role or secret ID'],
      [{ role_id: ROLE_ID, secret_id: `${SECRET_ID}x` }, 'invalid role or secret ID'],
      [{ secret_id: SECRET_ID }, 'missing role_id'],
      [{ role_id: ROLE_ID }, 'missing secret_id'],
      [{ role_id: ROLE_ID, secret_id: '' }, 'missing secret_id'],
    ] as const) {
      const res = await call(fake, 'POST', '/v1/auth/approle/login', { body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(res.body, { errors: [message] });
    }
  });

  it('logs in with Kubernetes at its mount, comparing the JWT exactly: 403 otherwise, 400 for an unknown role', async () => {
    const ok = await call(fake, 'POST', '/v1/auth/k8s/prod/login', { body: { role: 'gateway', jwt: JWT } });
    assert.equal(ok.status, 200);
    assert.equal(ok.body!.auth.renewable, false);
    assert.equal(ok.body!.auth.metadata.role, 'gateway');
    for (const [body, status] of [
      [{ role: 'gateway', jwt: `${JWT}x` }, 403],
      [{ role: 'gateway', jwt: JWT.slice(0, -1) }, 403],
      [{ role: 'other', jwt: JWT }, 400],
      [{ jwt: JWT }, 400],
      [{ role: 'gateway' }, 400],
    ] as const) {
      assert.equal((await call(fake, 'POST', '/v1/auth/k8s/prod/login', { body })).status, status, JSON.stringify(body));
    }
    assert.equal(
      (await call(fake, 'POST', '/v1/auth/kubernetes/login', { body: { role: 'gateway', jwt: JWT } })).status,
      403,
      'not enabled at the default path',
    );
  });

  it('requires the namespace on logins too', async () => {
    for (const headers of [{ 'x-vault-namespace': '' }, { 'x-vault-namespace': 'other' }]) {
      const res = await call(fake, 'POST', '/v1/auth/approle/login', { body: { role_id: ROLE_ID, secret_id: SECRET_ID }, headers });
      assert.equal(res.status, 403, JSON.stringify(headers));
    }
    const prefixed = await call(fake, 'POST', '/v1/team/auth/approle/login', {
      body: { role_id: ROLE_ID, secret_id: SECRET_ID },
      headers: { 'x-vault-namespace': '' },
    });
    assert.equal(prefixed.status, 200);
  });

  it('looks up and renews a token, capping renewal at its max TTL with Vault’s warning; refuses a non-renewable one', async () => {
    const token = (await call(fake, 'POST', '/v1/auth/approle/login', { body: { role_id: ROLE_ID, secret_id: SECRET_ID } })).body!.auth.client_token;
    const headers = { 'x-vault-token': token };
    const looked = await call(fake, 'GET', '/v1/auth/token/lookup-self', { headers });
    assert.equal(looked.status, 200);
    assert.equal(looked.body!.data.id, token);
    assert.equal(looked.body!.data.renewable, true);
    assert.ok(looked.body!.data.ttl <= 2 && looked.body!.data.ttl >= 1);
    assert.ok(Date.parse(looked.body!.data.expire_time) > Date.now());
    await sleep(1100);
    const renewed = await call(fake, 'POST', '/v1/auth/token/renew-self', { headers, body: { increment: '1h' } });
    assert.equal(renewed.status, 200);
    assert.equal(renewed.body!.auth.client_token, token);
    assert.equal(renewed.body!.auth.lease_duration, 1, 'max_ttl 3 s, issued over 1 s ago: at most 1 s is left');
    assert.match(renewed.body!.warnings[0], /exceeded the effective max_ttl/);

    const kube = (await call(fake, 'POST', '/v1/auth/k8s/prod/login', { body: { role: 'gateway', jwt: JWT } })).body!.auth.client_token;
    const refused = await call(fake, 'POST', '/v1/auth/token/renew-self', { headers: { 'x-vault-token': kube } });
    assert.deepEqual([refused.status, refused.body], [400, { errors: ['lease is not renewable'] }]);
  });

  it('forgets a token once its TTL has passed, when revoked, and when told every token expired', async () => {
    const login = async () =>
      (await call(fake, 'POST', '/v1/auth/approle/login', { body: { role_id: ROLE_ID, secret_id: SECRET_ID } })).body!.auth.client_token;
    const status = async (token: string) => (await call(fake, 'GET', '/v1/kv1/app', { headers: { 'x-vault-token': token } })).status;
    const lapsing = await login();
    const revoked = await login();
    const expired = await login();
    fake.revokeToken(revoked);
    assert.equal(await status(revoked), 403);
    assert.equal(await status(lapsing), 200);
    fake.expireTokens();
    assert.equal(await status(expired), 403);
    assert.equal(await status(lapsing), 403);
    assert.equal(await status(ROOT), 200, 'the root token never expires');
    const fresh = await login();
    await sleep(2100);
    assert.equal(await status(fresh), 403, 'past its 2 s TTL');
    assert.equal((await call(fake, 'GET', '/v1/auth/token/lookup-self', { headers: { 'x-vault-token': fresh } })).status, 403);
  });

  it('serves KV v1 next to KV v2: the map as data with an advisory lease, a v2-style path reading nothing', async () => {
    const headers = { 'x-vault-token': ROOT };
    fake.writeV1Secret('kv1', 'short', { a: 'b', ttl: '30m' });
    const read = await call(fake, 'GET', '/v1/kv1/app', { headers });
    assert.deepEqual([read.status, read.body!.data, read.body!.lease_duration], [200, { password: 'p' }, 2_764_800]);
    assert.equal((await call(fake, 'GET', '/v1/kv1/short', { headers })).body!.lease_duration, 1800);
    assert.deepEqual((await call(fake, 'GET', '/v1/kv1/data/app', { headers })).body, { errors: [] });
    assert.equal((await call(fake, 'POST', '/v1/kv1/new', { headers, body: { x: 1 } })).status, 204);
    assert.deepEqual((await call(fake, 'GET', '/v1/kv1/new', { headers })).body!.data, { x: 1 });
    assert.equal((await call(fake, 'DELETE', '/v1/kv1/new', { headers })).status, 204);
    assert.equal((await call(fake, 'GET', '/v1/kv1/new', { headers })).status, 404);
  });
});

describe('Vault fake: scenario switches', () => {
  let fake: VaultFake;
  before(async () => {
    fake = await startVaultFake({ token: ROOT });
    fake.writeSecret('secret', 'app', { a: 1 });
  });
  after(() => fake.close());
  const read = (path = '/v1/secret/data/app') => fetch(`${fake.url}${path}`, { headers: { 'x-vault-token': ROOT } });

  it('answers with an override (raw text or JSON, headers) for the paths it names, never for sys/health', async () => {
    fake.setOverride({ status: 503, body: { errors: ['Vault is sealed'] } });
    const sealed = await read();
    assert.deepEqual([sealed.status, await sealed.json()], [503, { errors: ['Vault is sealed'] }]);
    assert.equal((await fetch(`${fake.url}/v1/sys/health`)).status, 200);
    fake.setOverride({ status: 307, headers: { location: 'https://standby:8200/v1/secret/data/app' }, paths: /\/data\/app$/ });
    const redirected = await fetch(`${fake.url}/v1/secret/data/app`, { headers: { 'x-vault-token': ROOT }, redirect: 'manual' });
    assert.equal(redirected.status, 307);
    assert.equal(redirected.headers.get('location'), 'https://standby:8200/v1/secret/data/app');
    assert.equal((await read('/v1/secret/metadata/app')).status, 200, 'other paths route as usual');
    fake.setOverride({ status: 200, body: '<html>proxy</html>', headers: { 'content-type': 'text/html' } });
    assert.equal(await (await read()).text(), '<html>proxy</html>');
    fake.setOverride(null);
    assert.equal((await read()).status, 200);
  });

  it('holds every answer while hanging and gives them when released', async () => {
    fake.hang(true);
    let answered = false;
    const pending = read().then((res) => {
      answered = true;
      return res.status;
    });
    await sleep(200);
    assert.equal(answered, false);
    assert.equal((await fetch(`${fake.url}/v1/sys/health`)).status, 200, 'sys/health still answers');
    fake.hang(false);
    assert.equal(await pending, 200);
  });
});
