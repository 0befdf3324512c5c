import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VaultBackendError, type VaultFailureKind } from '../../vault-backend.js';
import { startVaultFake, type VaultFake } from '../../../../test/fakes/vault-kv2.js';
import type { HcvConfig } from './hcv-config.js';
import { createVaultHttp, type VaultHttp } from './vault-http.js';
import { createLogin, type Login } from './vault-login.js';
import { approleConfig } from './testing/approle-config.js';

const ROLE_ID = 'role-id-6a1f0c';
const SECRET_ID = 'secret-id-93be77d2';
const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6InRlc3QifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDpndyJ9.c2lnbmF0dXJl';
const ROTATED_JWT = `${JWT}-rotated`;

const base = approleConfig(ROLE_ID, SECRET_ID);

async function refused(login: Login, kind: VaultFailureKind, secrets: readonly string[]): Promise<VaultBackendError> {
  const err = await login(AbortSignal.timeout(5000)).then(
    () => assert.fail('the login should have failed'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof VaultBackendError, String(err));
  assert.equal(err.kind, kind, err.message);
  for (const s of secrets) assert.ok(!`${err.message}${err.stack}`.includes(s), `the error shows a credential: ${err.message}`);
  return err;
}

describe('Vault logins', () => {
  let fake: VaultFake;
  let http: VaultHttp;
  let dir: string;
  let jwtFile: string;
  before(async () => {
    fake = await startVaultFake({
      namespace: 'team',
      approle: { mount: 'apps/approle', roleId: ROLE_ID, secretId: SECRET_ID, ttl: 600 },
      kubernetes: { mount: 'k8s', role: 'gateway', jwt: JWT, ttl: 300, renewable: false },
    });
    http = createVaultHttp({ base: fake.url, namespace: 'team', timeout: 2000 });
    dir = mkdtempSync(join(tmpdir(), 'hcv-jwt-'));
    jwtFile = join(dir, 'token');
  });
  after(async () => {
    await http.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has nothing to log in with for auth_method token', () => {
    assert.equal(createLogin({ ...base, auth_method: 'token', token: 't' }, http), null);
  });

  it('logs in with AppRole at its path (slashes trimmed), in the namespace, with no token, returning the lease', async () => {
    const login = createLogin({ ...base, approle_auth_path: '/apps/approle/' }, http)!;
    const lease = await login(AbortSignal.timeout(5000));
    assert.deepEqual(lease, { token: fake.issuedTokens.at(-1), leaseSeconds: 600, renewable: true });
    const sent = fake.requests.at(-1)!;
    assert.equal(sent.method, 'POST');
    assert.equal(sent.path, '/v1/auth/apps/approle/login');
    assert.deepEqual(JSON.parse(sent.body), { role_id: ROLE_ID, secret_id: SECRET_ID });
    assert.equal(sent.headers['x-vault-namespace'], 'team');
    assert.equal(sent.headers['x-vault-token'], undefined);
    assert.equal(sent.headers['content-type'], 'application/json');
  });

  it('a refused AppRole login is unauthorized, quoting Vault but neither ID', async () => {
    for (const change of [{ approle_secret_id: 'secret-id-wrong' }, { approle_role_id: 'role-id-wrong' }, { approle_auth_path: 'elsewhere' }]) {
      const config = { ...base, approle_auth_path: 'apps/approle', ...change };
      const err = await refused(createLogin(config, http)!, 'unauthorized', [ROLE_ID, SECRET_ID, config.approle_role_id!, config.approle_secret_id!]);
      assert.match(
        err.message,
        /hcv: Vault refused logging in at auth\/(apps\/approle|elsewhere) \(approle\) \((400: invalid role or secret ID|403: permission denied)\)/,
      );
    }
    const missing = await refused(createLogin({ ...base, approle_secret_id: undefined }, http)!, 'unauthorized', [ROLE_ID]);
    assert.match(missing.message, /needs approle_role_id and approle_secret_id/);
  });

  it('logs in with Kubernetes, reading the service-account JWT from its file at every login', async () => {
    const login = createLogin({ ...base, auth_method: 'kubernetes', kube_role: 'gateway', kube_auth_path: 'k8s', kube_api_token_file: jwtFile }, http)!;
    writeFileSync(jwtFile, `${JWT}\n`);
    assert.deepEqual(await login(AbortSignal.timeout(5000)), { token: fake.issuedTokens.at(-1), leaseSeconds: 300, renewable: false });
    const sent = fake.requests.at(-1)!;
    assert.equal(sent.path, '/v1/auth/k8s/login');
    assert.deepEqual(JSON.parse(sent.body), { role: 'gateway', jwt: JWT });
    assert.equal(sent.headers['x-vault-token'], undefined);

    writeFileSync(jwtFile, ROTATED_JWT);
    await refused(login, 'unauthorized', [ROTATED_JWT]);
    assert.equal(JSON.parse(fake.requests.at(-1)!.body).jwt, ROTATED_JWT, 'the rotated JWT was read, not the first one kept');
  });

  it('a Kubernetes login with a missing, empty or oversized token file, or a role Vault does not know, is unauthorized', async () => {
    const kube = (extra: Partial<HcvConfig>) =>
      createLogin({ ...base, auth_method: 'kubernetes', kube_role: 'gateway', kube_auth_path: 'k8s', ...extra }, http)!;
    const empty = join(dir, 'empty');
    const huge = join(dir, 'huge');
    writeFileSync(empty, '\n');
    writeFileSync(huge, 'x'.repeat(70 * 1024));
    writeFileSync(jwtFile, JWT);
    for (const [extra, message] of [
      [{ kube_api_token_file: join(dir, 'absent') }, /cannot read the Kubernetes service-account token file .*absent: ENOENT/],
      [{ kube_api_token_file: dir }, /token file .*: EISDIR/],
      [{ kube_api_token_file: empty }, /: it is empty/],
      [{ kube_api_token_file: huge }, /larger than 65536 bytes/],
      [{ kube_api_token_file: jwtFile, kube_role: 'intruder' }, /\(400: invalid role name "intruder"\)/],
    ] as const) {
      assert.match((await refused(kube(extra), 'unauthorized', [JWT])).message, message);
    }
  });

  it('a login Vault cannot answer is unavailable; an answer without a token too', async () => {
    const login = createLogin({ ...base, approle_auth_path: 'apps/approle' }, http)!;
    for (const [override, message] of [
      [{ status: 503, body: { errors: ['Vault is sealed'] } }, /answered 503 logging in at auth\/apps\/approle \(approle\) \(Vault is sealed\)/],
      [{ status: 200, body: { auth: null, data: null } }, /holds no client token/],
      [{ status: 200, body: { auth: { client_token: 'bad\ntoken' } } }, /holds no client token/],
    ] as const) {
      fake.setOverride(override);
      try {
        assert.match((await refused(login, 'unavailable', [ROLE_ID, SECRET_ID])).message, message);
      } finally {
        fake.setOverride(null);
      }
    }
  });
});
