/**
 * The Vault KV v2 fake answers as Vault's API documentation says, so clients tested against it
 * (the keyring's vault strategy, the `hcv` secrets backend) meet Vault's real shapes and statuses.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startVaultFake, type VaultFake } from './vault-kv2.js';

const TOKEN = 'hvs.fake-token-for-tests';

async function call(fake: VaultFake, method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${fake.url}${path}`, {
    method,
    headers: { 'x-vault-token': TOKEN, ...options.headers },
    ...(options.body === undefined ? {} : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), body: text === '' ? null : JSON.parse(text) };
}

describe('Vault KV v2 fake', () => {
  let fake: VaultFake;
  before(async () => {
    fake = await startVaultFake({ token: TOKEN, mounts: ['secret', 'kv/team'] });
  });
  after(() => fake.close());

  it('writes versions with POST and PUT, answering 200 with the version metadata in the envelope', async () => {
    const first = await call(fake, 'POST', '/v1/secret/data/app/db', { body: { data: { password: 'one' } } });
    const second = await call(fake, 'PUT', '/v1/secret/data/app/db', { body: { data: { password: 'two' }, options: { cas: 1 } } });
    assert.equal(first.status, 200);
    assert.equal(first.type, 'application/json');
    assert.deepEqual(Object.keys(first.body).sort(), [
      'auth',
      'data',
      'lease_duration',
      'lease_id',
      'mount_type',
      'renewable',
      'request_id',
      'warnings',
      'wrap_info',
    ]);
    assert.equal(first.body.data.version, 1);
    assert.equal(second.body.data.version, 2);
    assert.equal(second.body.data.deletion_time, '');
    assert.equal(second.body.data.destroyed, false);
    assert.ok(Date.parse(second.body.data.created_time) > 0);
  });

  it('reads the newest version, or the one asked with ?version=N (0 meaning the newest)', async () => {
    for (const [query, expected] of [
      ['', 'two'],
      ['?version=0', 'two'],
      ['?version=1', 'one'],
    ] as const) {
      const read = await call(fake, 'GET', `/v1/secret/data/app/db${query}`);
      assert.equal(read.status, 200, query);
      assert.deepEqual(read.body.data.data, { password: expected }, query);
      assert.equal(read.body.data.metadata.version, expected === 'one' ? 1 : 2);
    }
  });

  it('serves metadata with a numeric current_version and versions keyed by strings', async () => {
    const meta = await call(fake, 'GET', '/v1/secret/metadata/app/db');
    assert.equal(meta.status, 200);
    assert.equal(meta.body.data.current_version, 2);
    assert.equal(meta.body.data.oldest_version, 0);
    assert.equal(meta.body.data.delete_version_after, '0s');
    assert.deepEqual(Object.keys(meta.body.data.versions), ['1', '2']);
    assert.deepEqual(Object.keys(meta.body.data.versions['1']).sort(), ['created_time', 'deletion_time', 'destroyed']);
    assert.ok(meta.body.data.updated_time >= meta.body.data.created_time);
  });

  it('refuses bad writes with 400 and an errors list', async () => {
    for (const [body, message] of [
      [{ data: { a: 1 }, options: { cas: 0 } }, 'check-and-set parameter did not match the current version'],
      [{ data: { a: 1 }, options: { cas: 7 } }, 'check-and-set parameter did not match the current version'],
      [{ data: { a: 1 }, options: { cas: 'x' } }, 'error parsing check-and-set parameter'],
      [{ options: { cas: 2 } }, 'no data provided'],
      [{ data: 'text' }, 'no data provided'],
      [{ data: [1] }, 'no data provided'],
    ] as const) {
      const res = await call(fake, 'POST', '/v1/secret/data/app/db', { body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.deepEqual(res.body, { errors: [message] }, JSON.stringify(body));
    }
    const garbled = await call(fake, 'POST', '/v1/secret/data/app/db', { body: '{not json' });
    assert.equal(garbled.status, 400);
    assert.match(garbled.body.errors[0], /^failed to parse JSON input/);
    assert.equal((await call(fake, 'GET', '/v1/secret/metadata/app/db')).body.data.current_version, 2);
  });

  it('answers 404 {"errors": []} for a missing secret, a version past the newest, or missing metadata', async () => {
    for (const path of ['/v1/secret/data/nothing', '/v1/secret/data/app/db?version=9', '/v1/secret/metadata/nothing', '/v1/kv/team/data/nothing']) {
      const res = await call(fake, 'GET', path);
      assert.equal(res.status, 404, path);
      assert.deepEqual(res.body, { errors: [] }, path);
    }
  });

  it('answers a deleted or destroyed version with 404, data null and its metadata, then undeletes', async () => {
    fake.writeSecret('secret', 'retire', { n: 1 });
    fake.writeSecret('secret', 'retire', { n: 2 });
    fake.writeSecret('secret', 'retire', { n: 3 });
    assert.equal((await call(fake, 'POST', '/v1/secret/delete/retire', { body: { versions: [1] } })).status, 204);
    assert.equal((await call(fake, 'POST', '/v1/secret/destroy/retire', { body: { versions: [2] } })).status, 204);
    const deleted = await call(fake, 'GET', '/v1/secret/data/retire?version=1');
    assert.equal(deleted.status, 404);
    assert.equal(deleted.body.errors, undefined);
    assert.equal(deleted.body.data.data, null);
    assert.ok(Date.parse(deleted.body.data.metadata.deletion_time) > 0);
    const destroyed = await call(fake, 'GET', '/v1/secret/data/retire?version=2');
    assert.equal(destroyed.status, 404);
    assert.equal(destroyed.body.data.data, null);
    assert.equal(destroyed.body.data.metadata.destroyed, true);
    const meta = (await call(fake, 'GET', '/v1/secret/metadata/retire')).body.data;
    assert.notEqual(meta.versions['1'].deletion_time, '');
    assert.equal(meta.versions['2'].destroyed, true);
    assert.equal(meta.versions['3'].deletion_time, '');

    assert.equal((await call(fake, 'POST', '/v1/secret/undelete/retire', { body: { versions: [1, 2] } })).status, 204);
    assert.deepEqual((await call(fake, 'GET', '/v1/secret/data/retire?version=1')).body.data.data, { n: 1 });
    assert.equal((await call(fake, 'GET', '/v1/secret/data/retire?version=2')).status, 404, 'a destroyed version stays destroyed');

    assert.equal((await call(fake, 'DELETE', '/v1/secret/data/retire')).status, 204);
    assert.equal((await call(fake, 'GET', '/v1/secret/data/retire')).status, 404, 'DELETE on data/ soft-deletes the newest version');
    assert.equal((await call(fake, 'GET', '/v1/secret/data/retire?version=1')).status, 200);
  });

  it('refuses delete, undelete and destroy without versions with 400', async () => {
    for (const op of ['delete', 'undelete', 'destroy'])
      for (const body of [{}, { versions: [] }, { versions: ['x'] }]) {
        const res = await call(fake, 'POST', `/v1/secret/${op}/app/db`, { body });
        assert.equal(res.status, 400, `${op} ${JSON.stringify(body)}`);
        assert.deepEqual(res.body, { errors: ['no version number provided'] });
      }
  });

  it('keeps the newest 10 versions, as Vault does when max_versions is unset', async () => {
    for (let i = 1; i <= 12; i++) fake.writeSecret('kv/team', 'many', { i });
    const meta = (await call(fake, 'GET', '/v1/kv/team/metadata/many')).body.data;
    assert.equal(meta.current_version, 12);
    assert.equal(meta.oldest_version, 3);
    assert.deepEqual(Object.keys(meta.versions), ['3', '4', '5', '6', '7', '8', '9', '10', '11', '12']);
    assert.equal((await call(fake, 'GET', '/v1/kv/team/data/many?version=2')).status, 404);
  });

  it('refuses a missing or wrong token with 403 permission denied, and accepts Authorization: Bearer', async () => {
    for (const headers of [
      { 'x-vault-token': '' },
      { 'x-vault-token': 'hvs.wrong' },
      { 'x-vault-token': `${TOKEN}x` },
      { 'x-vault-token': '', authorization: 'Bearer nope' },
    ] as Record<string, string>[]) {
      const res = await call(fake, 'GET', '/v1/secret/data/app/db', { headers });
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.deepEqual(res.body, { errors: ['permission denied'] });
    }
    const bare = await fetch(`${fake.url}/v1/secret/data/app/db`);
    assert.equal(bare.status, 403);
    const bearer = await fetch(`${fake.url}/v1/secret/data/app/db`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(bearer.status, 200);
  });

  it('fails loudly on paths a KV v2 mount does not serve', async () => {
    const v1 = await call(fake, 'GET', '/v1/secret/app/db');
    assert.equal(v1.status, 404);
    assert.match(v1.body.warnings[0], /Invalid path for a versioned K\/V secrets engine/);
    const noMount = await call(fake, 'GET', '/v1/other/data/app/db');
    assert.equal(noMount.status, 404);
    assert.match(noMount.body.errors[0], /no handler for route/);
    assert.equal((await call(fake, 'PATCH', '/v1/secret/metadata/app/db')).status, 405);
    assert.equal((await call(fake, 'GET', '/v2/secret/data/app/db')).status, 404);
  });

  it('serves sys/health without a token', async () => {
    const res = await fetch(`${fake.url}/v1/sys/health`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.initialized, true);
    assert.equal(body.sealed, false);
    assert.equal(typeof body.version, 'string');
  });

  it('records each request with its raw path, headers and body', async () => {
    const before = fake.requests.length;
    await call(fake, 'GET', '/v1/secret/data/app%2Fdb?version=1');
    const seen = fake.requests[before]!;
    assert.equal(seen.method, 'GET');
    assert.equal(seen.path, '/v1/secret/data/app%2Fdb?version=1');
    assert.equal(seen.headers['x-vault-token'], TOKEN);
  });
});

describe('Vault KV v2 fake with a namespace', () => {
  let fake: VaultFake;
  before(async () => {
    fake = await startVaultFake({ token: TOKEN, namespace: 'team/prod/' });
    fake.writeSecret('secret', 'app', { a: 1 });
  });
  after(() => fake.close());

  it('accepts the namespace as X-Vault-Namespace (slashes trimmed) or as a path prefix', async () => {
    for (const [path, headers] of [
      ['/v1/secret/data/app', { 'x-vault-namespace': 'team/prod' }],
      ['/v1/secret/data/app', { 'x-vault-namespace': 'team/prod/' }],
      ['/v1/team/prod/secret/data/app', {}],
    ] as const) {
      const res = await call(fake, 'GET', path, { headers });
      assert.equal(res.status, 200, `${path} ${JSON.stringify(headers)}`);
    }
  });

  it('refuses a request outside the namespace with 403', async () => {
    for (const headers of [{}, { 'x-vault-namespace': 'team' }, { 'x-vault-namespace': 'team/prod/x' }] as Record<string, string>[]) {
      const res = await call(fake, 'GET', '/v1/secret/data/app', { headers });
      assert.equal(res.status, 403, JSON.stringify(headers));
      assert.deepEqual(res.body, { errors: ['permission denied'] });
    }
  });
});
