import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rootCertificates } from 'node:tls';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../../observability/logger.js';
import { VaultBackendError, type VaultBackend, type VaultFailureKind } from '../../vault-backend.js';
import { startVaultFake, type VaultFake } from '../../../../test/fakes/vault-kv2.js';
import { LOCALHOST_TLS, TEST_CA_PATH, TEST_CA_PEM } from '../../../../test/support/tls-fixtures.js';
import { hcvBackend, type HcvConfig } from './index.js';

const ROOT = 'hvs.hcv-backend-test-root-token-41c9';
const deps = (timeout = 2000) => ({ logger: createLogger({ level: 'silent' }), env: {}, timeout });
const signal = () => AbortSignal.timeout(5000);

function config(fake: VaultFake, extra: Partial<HcvConfig> = {}): HcvConfig {
  const url = new URL(fake.url);
  return {
    protocol: url.protocol === 'https:' ? 'https' : 'http',
    host: '127.0.0.1',
    port: Number(url.port),
    mount: 'secret',
    kv: 'v2',
    auth_method: 'token',
    token: ROOT,
    approle_auth_path: 'approle',
    kube_auth_path: 'kubernetes',
    kube_api_token_file: '/nonexistent',
    ...extra,
  };
}

/** The read must fail with `kind`; no credential may be in its message or stack. */
async function failure(read: Promise<unknown>, kind: VaultFailureKind, secrets: readonly string[] = [ROOT]): Promise<VaultBackendError> {
  const err = await read.then(
    () => assert.fail(`the read should have failed as ${kind}`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof VaultBackendError, `expected a VaultBackendError, got ${String(err)}`);
  assert.equal(err.kind, kind, err.message);
  for (const secret of secrets) assert.ok(!`${err.message}\n${err.stack}`.includes(secret), `the error shows a credential: ${err.message}`);
  return err;
}

describe('hcv backend: reading KV secrets', () => {
  let fake: VaultFake;
  let backend: VaultBackend;
  let v1: VaultBackend;
  before(async () => {
    fake = await startVaultFake({ token: ROOT, mounts: ['secret'], v1Mounts: ['kv'] });
    backend = hcvBackend.create(config(fake), deps());
    v1 = hcvBackend.create(config(fake, { mount: 'kv', kv: 'v1' }), deps());
  });
  after(async () => {
    await backend.close?.();
    await v1.close?.();
    await fake.close();
  });

  it('reads a KV v1 secret as the JSON text of its map, with no version, sending the token', async () => {
    fake.writeV1Secret('kv', 'app/db', { user: 'app', password: 'p@ss' });
    const read = await v1.read('app/db', null, {}, signal());
    assert.deepEqual(JSON.parse(read.value), { user: 'app', password: 'p@ss' });
    assert.equal(read.version, undefined);
    const sent = fake.requests.at(-1)!;
    assert.deepEqual([sent.method, sent.path, sent.headers['x-vault-token']], ['GET', '/v1/kv/app/db', ROOT]);
  });

  it('reads the current KV v2 version and older ones by #version, reporting the version read', async () => {
    fake.writeSecret('secret', 'app/api', { key: 'one' });
    fake.writeSecret('secret', 'app/api', { key: 'two' });
    assert.deepEqual(await backend.read('app/api', null, {}, signal()), { value: '{"key":"two"}', version: '2' });
    assert.deepEqual(await backend.read('app/api', '1', {}, signal()), { value: '{"key":"one"}', version: '1' });
    assert.equal(fake.requests.at(-1)!.path, '/v1/secret/data/app/api?version=1');
  });

  it('reaches the one secret a resource names, whatever characters its segments hold', async () => {
    for (const resource of ['a b/c', 'per%cent', 'q?x', 'h#x', 'ünï/☃', 'plus+sign', 'at@col:on', 'semi;colon']) {
      fake.writeSecret('secret', resource, { name: resource });
      fake.writeV1Secret('kv', resource, { name: resource });
      assert.deepEqual(JSON.parse((await backend.read(resource, null, {}, signal())).value), { name: resource }, resource);
      assert.deepEqual(JSON.parse((await v1.read(resource, null, {}, signal())).value), { name: resource }, resource);
    }
  });

  it('refuses, without asking Vault, paths with empty, "." or ".." segments and versions a mount cannot have', async () => {
    const before = fake.requests.length;
    for (const resource of ['a/../b', './a', 'a//b']) {
      assert.match((await failure(backend.read(resource, null, {}, signal()), 'not_found')).message, /not a Vault secret path/);
    }
    for (const version of ['0', '-1', 'abc', '01']) await failure(backend.read('app/api', version, {}, signal()), 'not_found');
    fake.writeV1Secret('kv', 'plain', { a: 1 });
    const onV1 = await failure(v1.read('plain', '1', {}, signal()), 'not_found');
    assert.match(onV1.message, /is KV v1, which keeps none/);
    assert.equal(fake.requests.length, before);
  });

  it('is not_found for a missing secret, a version past the newest, and a deleted or destroyed version, saying which', async () => {
    for (let i = 1; i <= 4; i++) fake.writeSecret('secret', 'retired', { i });
    fake.deleteVersions('secret', 'retired', [1]);
    fake.destroyVersions('secret', 'retired', [2]);
    for (const [resource, version, message] of [
      ['nothing-here', null, /no secret at "secret\/nothing-here" \(404\)/],
      ['retired', '9', /no secret at "secret\/retired#9"/],
      ['retired', '1', /version of "secret\/retired#1" is deleted/],
      ['retired', '2', /version of "secret\/retired#2" is destroyed/],
    ] as const) {
      assert.match((await failure(backend.read(resource, version, {}, signal()), 'not_found')).message, message);
    }
    assert.equal((await backend.read('retired', '3', {}, signal())).version, '3');
    fake.deleteVersions('secret', 'retired', [4]);
    assert.match((await failure(backend.read('retired', null, {}, signal()), 'not_found')).message, /is deleted/);
    await failure(v1.read('nothing-here', null, {}, signal()), 'not_found');
  });

  it('a kv setting that does not match the mount fails loudly: v1 on a v2 mount says to set kv: v2', async () => {
    fake.writeSecret('secret', 'mismatch', { a: 1 });
    fake.writeV1Secret('kv', 'mismatch', { a: 1 });
    const v1OnV2 = hcvBackend.create(config(fake, { kv: 'v1' }), deps());
    const v2OnV1 = hcvBackend.create(config(fake, { mount: 'kv', kv: 'v2' }), deps());
    assert.match((await failure(v1OnV2.read('mismatch', null, {}, signal()), 'not_found')).message, /the mount is KV v2: set kv: v2/);
    await failure(v2OnV1.read('mismatch', null, {}, signal()), 'not_found');
    await v1OnV2.close?.();
    await v2OnV1.close?.();
  });

  it('a refused token is unauthorized at once: one request, no login', async () => {
    for (const token of ['hvs.not-a-token-vault-knows', `${ROOT}x`, ROOT.slice(0, -1)]) {
      const before = fake.requests.length;
      const refused = hcvBackend.create(config(fake, { token }), deps());
      const err = await failure(refused.read('app/api', null, {}, signal()), 'unauthorized', [token]);
      assert.match(err.message, /permission denied \(403\) reading "secret\/app\/api"/);
      assert.equal(fake.requests.length, before + 1);
      await refused.close?.();
    }
  });

  it('any other answer is unavailable, naming the secret and the status, and no credential Vault echoes', async () => {
    fake.writeSecret('secret', 'odd', { a: 1 });
    for (const [override, message] of [
      [{ status: 503, body: { errors: ['Vault is sealed'] } }, /Vault answered 503 reading "secret\/odd" \(Vault is sealed\)/],
      [{ status: 500, body: { errors: ['internal error'] } }, /answered 500/],
      [
        { status: 429, headers: { 'retry-after': '1' }, body: { errors: ['request path "secret/data/odd": rate limit quota exceeded'] } },
        /answered 429 .*rate limit/,
      ],
      [{ status: 412, body: { errors: ['required index state not present'] } }, /answered 412/],
      [{ status: 400, body: { errors: ['bad request'] } }, /answered 400/],
      [{ status: 307, headers: { location: 'https://standby:8200/v1/secret/data/odd' } }, /redirect \(307\) reading "secret\/odd", which is not followed/],
      [{ status: 502, body: '<html>bad gateway</html>', headers: { 'content-type': 'text/html' } }, /answered 502 reading "secret\/odd"$/],
      [{ status: 200, body: '<html>portal</html>' }, /"secret\/odd" is not a KV v2 secret/],
      [{ status: 200, body: { data: null } }, /not a KV v2 secret/],
      [{ status: 200, body: 'x'.repeat(2 * 1024 * 1024) }, /larger than 1048576 bytes/],
      [{ status: 500, body: { errors: [`token ${ROOT} refused`, 'hvs.CAESIAbCdEfGhIjKlMnOpQrStUv'] } }, /\[redacted\] refused; \[redacted\]/],
    ] as const) {
      fake.setOverride(override);
      try {
        assert.match((await failure(backend.read('odd', null, {}, signal()), 'unavailable')).message, message);
      } finally {
        fake.setOverride(null);
      }
    }
  });

  it('a Vault that does not answer is unavailable as soon as the signal aborts, or after deps.timeout', async () => {
    fake.writeSecret('secret', 'slow', { a: 1 });
    fake.setLatency(10_000);
    const patient = hcvBackend.create(config(fake), deps(300));
    try {
      for (const [b, s, message] of [
        [backend, AbortSignal.timeout(200), /cancelled: no answer before the deadline/],
        [patient, AbortSignal.timeout(10_000), /no answer within 300 ms/],
      ] as const) {
        const started = Date.now();
        assert.match((await failure(b.read('slow', null, {}, s), 'unavailable')).message, message);
        assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
      }
    } finally {
      fake.setLatency(0);
      await patient.close?.();
    }
  });

  it('nothing listening is unavailable naming the address; a closed backend reads nothing', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await new Promise<void>((r) => server.close(() => r()));
    const nowhere = hcvBackend.create({ ...config(fake), port }, deps());
    assert.match(
      (await failure(nowhere.read('app/api', null, {}, signal()), 'unavailable')).message,
      new RegExp(`reading "secret/app/api" on Vault at http://127.0.0.1:${port}: no connection \\(ECONNREFUSED\\)`),
    );
    await nowhere.close?.();
    const closing = hcvBackend.create(config(fake), deps());
    await closing.close?.();
    assert.match((await failure(closing.read('app/api', null, {}, signal()), 'unavailable')).message, /closed/);
  });
});

describe('hcv backend: namespaces', () => {
  let fake: VaultFake;
  before(async () => {
    fake = await startVaultFake({ token: ROOT, namespace: 'team/prod' });
    fake.writeSecret('secret', 'app', { a: 1 });
  });
  after(() => fake.close());

  it('sends X-Vault-Namespace with every read; Vault refuses a missing or another namespace (unauthorized)', async () => {
    for (const namespace of ['team/prod', '/team/prod/']) {
      const backend = hcvBackend.create(config(fake, { namespace }), deps());
      assert.equal((await backend.read('app', null, {}, signal())).value, '{"a":1}');
      assert.equal(fake.requests.at(-1)!.headers['x-vault-namespace'], 'team/prod');
      await backend.close?.();
    }
    for (const namespace of [undefined, 'team', 'team/prod/x']) {
      const backend = hcvBackend.create(config(fake, namespace === undefined ? {} : { namespace }), deps());
      assert.match((await failure(backend.read('app', null, {}, signal()), 'unauthorized')).message, /or the namespace is wrong/);
      await backend.close?.();
    }
  });
});

describe('hcv backend: TLS with a custom CA', () => {
  let fake: VaultFake;
  let dir: string;
  before(async () => {
    fake = await startVaultFake({ token: ROOT, tls: LOCALHOST_TLS });
    fake.writeSecret('secret', 'app', { a: 1 });
    dir = mkdtempSync(join(tmpdir(), 'hcv-ca-'));
  });
  after(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("verifies Vault's certificate against ca_cert given as PEM text or as a file path", async () => {
    assert.ok(fake.url.startsWith('https://'));
    for (const ca_cert of [TEST_CA_PEM, TEST_CA_PATH]) {
      const backend = hcvBackend.create(config(fake, { ca_cert }), deps());
      assert.equal((await backend.read('app', null, {}, signal())).value, '{"a":1}');
      await backend.close?.();
    }
  });

  it('refuses the connection, sending no request, with a ca_cert that did not sign the certificate', async () => {
    // A public root CA (trusted elsewhere, not by ca_cert's rules here) and the leaf itself: neither signed it.
    for (const ca_cert of [rootCertificates[0]!, LOCALHOST_TLS.cert]) {
      const before = fake.requests.length;
      const backend = hcvBackend.create(config(fake, { ca_cert }), deps());
      assert.match(
        (await failure(backend.read('app', null, {}, signal()), 'unavailable')).message,
        /the TLS connection was refused \([A-Z_]+\): .*set ca_cert/,
      );
      assert.equal(fake.requests.length, before);
      await backend.close?.();
    }
  });

  it('a ca_cert that cannot be read fails every read as unavailable, naming it, sending nothing', async () => {
    const notPem = join(dir, 'not-a-ca.txt');
    writeFileSync(notPem, 'hello');
    const before = fake.requests.length;
    for (const [ca_cert, message] of [
      [join(dir, 'missing.pem'), /Cannot read the ca_cert from .*missing\.pem \(ENOENT\)/],
      [notPem, /does not hold a PEM/],
      [dir, /not a file/],
    ] as const) {
      const backend = hcvBackend.create(config(fake, { ca_cert }), deps());
      assert.match((await failure(backend.read('app', null, {}, signal()), 'unavailable')).message, message);
      await backend.close?.();
    }
    assert.equal(fake.requests.length, before);
  });

  it('plain http to an HTTPS Vault is unavailable', async () => {
    const backend = hcvBackend.create(config(fake, { protocol: 'http' }), deps());
    await failure(backend.read('app', null, {}, signal()), 'unavailable');
    await backend.close?.();
  });
});

describe('hcv backend: AppRole and Kubernetes logins', () => {
  const ROLE_ID = 'role-id-backend-4d1e';
  const SECRET_ID = 'secret-id-backend-b7a2c9';
  const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6ZGVmYXVsdDpndyJ9.YmFja2VuZA';
  let fake: VaultFake;
  let dir: string;
  let jwtFile: string;
  const logs: string[] = [];
  const logged = { logger: createLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(line) } }), env: {}, timeout: 2000 };
  const errors: VaultBackendError[] = [];
  const approle = (extra: Partial<HcvConfig> = {}) =>
    hcvBackend.create(
      config(fake, { namespace: 'team', token: undefined, auth_method: 'approle', approle_role_id: ROLE_ID, approle_secret_id: SECRET_ID, ...extra }),
      logged,
    );
  const logins = () => fake.requests.filter((r) => r.path.endsWith('/login')).length;
  const reads = () => fake.requests.filter((r) => r.path.startsWith('/v1/secret/data/'));
  /** `failure`, keeping the error for the leak check at the end. */
  const failed = async (read: Promise<unknown>, kind: VaultFailureKind) => {
    const err = await failure(read, kind, [ROLE_ID, SECRET_ID, JWT, ...fake.issuedTokens]);
    errors.push(err);
    return err;
  };

  before(async () => {
    fake = await startVaultFake({
      namespace: 'team',
      approle: { roleId: ROLE_ID, secretId: SECRET_ID, ttl: 600 },
      kubernetes: { role: 'gateway', jwt: JWT, ttl: 600 },
    });
    fake.writeSecret('secret', 'app', { password: 'from-vault' });
    dir = mkdtempSync(join(tmpdir(), 'hcv-kube-'));
    jwtFile = join(dir, 'token');
    writeFileSync(jwtFile, JWT);
  });
  after(async () => {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads with the token its AppRole login obtained, logging in once, in the namespace', async () => {
    const backend = approle();
    const from = fake.requests.length;
    for (let i = 0; i < 3; i++) assert.equal((await backend.read('app', null, {}, signal())).value, '{"password":"from-vault"}');
    const sent = fake.requests.slice(from);
    assert.deepEqual(
      sent.map((r) => r.path),
      ['/v1/auth/approle/login', '/v1/secret/data/app', '/v1/secret/data/app', '/v1/secret/data/app'],
    );
    assert.ok(sent.every((r) => r.headers['x-vault-namespace'] === 'team'));
    assert.ok(sent.slice(1).every((r) => r.headers['x-vault-token'] === fake.issuedTokens.at(-1)));
    await backend.close?.();
  });

  it('reads with the token a Kubernetes service-account login obtained', async () => {
    const backend = hcvBackend.create(
      config(fake, { namespace: 'team', token: undefined, auth_method: 'kubernetes', kube_role: 'gateway', kube_api_token_file: jwtFile }),
      logged,
    );
    assert.equal((await backend.read('app', null, {}, signal())).value, '{"password":"from-vault"}');
    assert.deepEqual(JSON.parse(fake.requests.at(-2)!.body), { role: 'gateway', jwt: JWT });
    await backend.close?.();
  });

  it('when Vault refuses the login token (revoked, expired early) it logs in again once and retries the read once', async () => {
    for (const drop of [(t: string) => fake.revokeToken(t), () => fake.expireTokens()]) {
      const backend = approle();
      await backend.read('app', null, {}, signal());
      drop(fake.issuedTokens.at(-1)!);
      const from = fake.requests.length;
      assert.equal((await backend.read('app', null, {}, signal())).value, '{"password":"from-vault"}');
      assert.deepEqual(
        fake.requests.slice(from).map((r) => r.path),
        ['/v1/secret/data/app', '/v1/auth/approle/login', '/v1/secret/data/app'],
      );
      assert.equal(fake.requests.at(-1)!.headers['x-vault-token'], fake.issuedTokens.at(-1));
      await backend.close?.();
    }
  });

  it('20 concurrent reads whose token was revoked share one new login', async () => {
    const backend = approle();
    await backend.read('app', null, {}, signal());
    fake.revokeToken(fake.issuedTokens.at(-1)!);
    const before = logins();
    const values = await Promise.all(Array.from({ length: 20 }, () => backend.read('app', null, {}, signal())));
    assert.ok(values.every((v) => v.value === '{"password":"from-vault"}'));
    assert.equal(logins() - before, 1);
    await backend.close?.();
  });

  it('a token refused even after a fresh login is unauthorized: one retry, no loop', async () => {
    const backend = approle();
    fake.setOverride({ status: 403, body: { errors: ['1 error occurred:\n\t* permission denied\n\n'] }, paths: /^\/v1\/secret\/data\// });
    try {
      const [loginsBefore, readsBefore] = [logins(), reads().length];
      const err = await failed(backend.read('app', null, {}, signal()), 'unauthorized');
      assert.match(err.message, /permission denied \(403\) reading "secret\/app": even with a fresh login/);
      assert.deepEqual([logins() - loginsBefore, reads().length - readsBefore], [2, 2]);
    } finally {
      fake.setOverride(null);
      await backend.close?.();
    }
  });

  it('a configured token is never renewed nor replaced by a login', async () => {
    const backend = hcvBackend.create(config(fake, { namespace: 'team', token: 'hvs.revoked-configured-token' }), logged);
    const before = logins();
    await failed(backend.read('app', null, {}, signal()), 'unauthorized');
    assert.equal(logins(), before);
    await backend.close?.();
  });

  it('no token, role ID, secret ID or JWT appears in any log line or error of these tests', async () => {
    const backend = approle({ approle_secret_id: `${SECRET_ID}-wrong` });
    errors.push(await failure(backend.read('app', null, {}, signal()), 'unauthorized', [SECRET_ID]));
    await backend.close?.();
    assert.ok(logs.some((l) => l.includes('logged in to Vault')) && logs.some((l) => l.includes('logging in again')), 'the logins were logged');
    const shown = [...logs, ...errors.map((e) => `${e.message}\n${e.stack}`)];
    for (const secret of [ROLE_ID, SECRET_ID, JWT, 'hvs.revoked-configured-token', ...fake.issuedTokens]) {
      for (const line of shown) assert.ok(!line.includes(secret), `a credential in: ${line}`);
    }
  });
});
