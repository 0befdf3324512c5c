/**
 * API keys named by id in every key path (`/services|consumers/{owner}/api-keys/{key}`: show,
 * regenerate, set, revoke), like other entities: the id works as the name does, for both owner
 * kinds; the id of another owner's key is never reached (404, or 204 for the idempotent revoke,
 * and the key stays untouched); a UUID is always read as an id, so no key may be named by one.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createAdminHarness, type AdminHarness } from '../../../test/support/admin-harness.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { featureRoutes } from '../../../test/support/feature-routes.js';

/** Each key path, what it answers for a key it may address, and for one it may not. */
const PATHS: readonly { name: string; method: string; suffix: string; body?: () => unknown; ok: number; foreign: number }[] = [
  { name: 'show', method: 'GET', suffix: '', ok: 200, foreign: 404 },
  { name: 'regenerate', method: 'POST', suffix: '/regenerate', body: () => ({}), ok: 200, foreign: 404 },
  { name: 'set', method: 'PUT', suffix: '', body: () => ({ api_key: `external-value-${randomBytes(8).toString('hex')}` }), ok: 200, foreign: 404 },
  // Revoking is idempotent: an id this owner does not have is "unknown", 204, and leaks nothing.
  { name: 'revoke', method: 'DELETE', suffix: '', ok: 204, foreign: 204 },
];

/** The owners, and for each the owners whose keys it must not reach. */
const OWNERS = [
  { path: '/services/orders', others: ['/services/billing', '/consumers/alice'] },
  { path: '/consumers/alice', others: ['/consumers/bob', '/services/orders'] },
] as const;

describe('Admin API: api-keys by id', () => {
  let database: TestDatabase;
  let h: AdminHarness;
  /** A fresh active key of `owner`: its id, name and current public id. */
  const newKey = async (owner: string) => {
    const res = await h.call('POST', `${owner}/api-keys`, {});
    assert.equal(res.status, 201, res.text);
    return res.body as { id: string; name: string; key_id: string };
  };
  /** The key as its owner sees it by name. */
  const shownByName = async (owner: string, name: string) => (await h.call('GET', `${owner}/api-keys/${name}`)).body;

  before(async () => {
    database = await createTestDatabase('sqlite');
    h = await createAdminHarness(database, { extraRoutes: featureRoutes() });
    for (const name of ['orders', 'billing']) assert.equal((await h.call('POST', '/services', { name, url: `http://${name}.test` })).status, 201);
    for (const username of ['alice', 'bob']) assert.equal((await h.call('POST', '/consumers', { username })).status, 201);
  });
  after(async () => {
    await h.close();
    await database.drop();
  });

  for (const owner of OWNERS) {
    for (const p of PATHS) {
      it(`${p.name} (${p.method}) takes the key's id under ${owner.path}, in lower or upper case`, async () => {
        for (const spell of [(id: string) => id, (id: string) => id.toUpperCase()]) {
          const key = await newKey(owner.path);
          const res = await h.call(p.method, `${owner.path}/api-keys/${spell(key.id)}${p.suffix}`, p.body?.());
          assert.equal(res.status, p.ok, res.text);
          if (p.ok === 200) assert.equal(res.body.id, key.id);
          const after = await shownByName(owner.path, key.name);
          assert.equal(after.id, key.id, 'the same key, not a new one under the name');
          assert.equal(after.status, p.name === 'revoke' ? 'revoked' : 'active');
          assert.equal(after.key_id !== key.key_id, p.name === 'regenerate' || p.name === 'set', 'only regenerate and set change the secret');
        }
      });

      for (const other of owner.others) {
        it(`${p.name} (${p.method}) under ${owner.path} never reaches a key of ${other} by its id (${p.foreign})`, async () => {
          const foreign = await newKey(other);
          const res = await h.call(p.method, `${owner.path}/api-keys/${foreign.id}${p.suffix}`, p.body?.());
          assert.equal(res.status, p.foreign, res.text);
          if (p.foreign === 404) assert.equal(res.body.code, 'PC_NOT_FOUND');
          assert.ok(!res.text.includes(foreign.name) && !res.text.includes(foreign.key_id), 'nothing of the foreign key is shown');
          const after = await shownByName(other, foreign.name);
          assert.deepEqual([after.status, after.key_id], ['active', foreign.key_id], 'the foreign key is untouched');
        });
      }

      it(`${p.name} (${p.method}) by id is 404 when ${owner.path.split('/')[1]} does not exist, and by an unknown id ${p.foreign}`, async () => {
        const key = await newKey(owner.path);
        const missingOwner = await h.call(p.method, `/${owner.path.split('/')[1]}/nobody/api-keys/${key.id}${p.suffix}`, p.body?.());
        assert.equal(missingOwner.status, 404, missingOwner.text);
        const unknown = await h.call(p.method, `${owner.path}/api-keys/${randomUUID()}${p.suffix}`, p.body?.());
        assert.equal(unknown.status, p.foreign, unknown.text);
        assert.equal((await shownByName(owner.path, key.name)).key_id, key.key_id);
      });
    }

    it(`a revoked key under ${owner.path} is shown by id, but neither regenerated nor set by it; revoking again is 204`, async () => {
      const key = await newKey(owner.path);
      assert.equal((await h.call('DELETE', `${owner.path}/api-keys/${key.id}`)).status, 204);
      const shown = await h.call('GET', `${owner.path}/api-keys/${key.id}`);
      assert.deepEqual([shown.status, shown.body.status], [200, 'revoked']);
      for (const p of PATHS.filter((x) => x.name === 'regenerate' || x.name === 'set')) {
        const res = await h.call(p.method, `${owner.path}/api-keys/${key.id}${p.suffix}`, p.body?.());
        assert.deepEqual([res.status, res.body.code], [404, 'PC_NOT_FOUND'], `${p.name}: ${res.text}`);
      }
      assert.equal((await h.call('DELETE', `${owner.path}/api-keys/${key.id}`)).status, 204);
    });
  }

  describe('a UUID is an id, never a name', () => {
    for (const name of [randomUUID(), randomUUID().toUpperCase()]) {
      it(`refuses to create a key named ${name === name.toUpperCase() ? 'by an upper-case' : 'by a'} UUID (400, field name)`, async () => {
        const res = await h.call('POST', '/consumers/alice/api-keys', { name });
        assert.equal(res.status, 400, res.text);
        assert.equal(res.body.code, 'PC_VALIDATION_FAILED');
        assert.ok(res.body.fields.some((f: { path: string }) => f.path === 'name'));
      });
    }

    it('a PUT by an unknown UUID creates nothing (404), where a PUT by a new name creates the key', async () => {
      const id = randomUUID();
      const res = await h.call('PUT', `/consumers/alice/api-keys/${id}`, { api_key: 'external-value-aaaaaaaaaaaaaaaa' });
      assert.deepEqual([res.status, res.body.code], [404, 'PC_NOT_FOUND']);
      assert.equal((await h.call('GET', `/consumers/alice/api-keys/${id}`)).status, 404);
      assert.equal((await h.call('PUT', '/consumers/alice/api-keys/by-name', { api_key: 'external-value-bbbbbbbbbbbbbbbb' })).status, 201);
    });

    it('refuses a path value that is neither a UUID nor a valid name (400)', async () => {
      for (const ref of ['Upper', '-lead', `${randomUUID()}.x`, 'a'.repeat(64)]) {
        const res = await h.call('GET', `/consumers/alice/api-keys/${ref}`);
        assert.deepEqual([res.status, res.body.code], [400, 'PC_VALIDATION_FAILED'], ref);
      }
    });
  });
});
