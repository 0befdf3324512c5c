/** The API-key routes of the Admin API, grouped by outcome. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createAdminHarness, type AdminHarness } from '../../../test/support/admin-harness.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { loadConfig } from '../../config/load-config.js';
import { createApiKeyService } from '../../apikeys/lifecycle/api-key-service.js';
import { createIssuerDirectory } from '../../apikeys/lifecycle/issuers.js';
import { createKeyHashers } from '../../apikeys/hashing/key-hashers.js';
import { apiKeyRoutes } from './api-keys.js';
import type { AdminRoutes } from '../admin-server.js';

const config = loadConfig({
  env: {
    PORTCULLIS_API_KEYS_MAX_PER_CONSUMER: '2',
    PORTCULLIS_API_KEYS_ISSUERS: JSON.stringify([
      { name: 'portcullis', prefix: 'pcg', type: 'local' },
      { name: 'devportal', prefix: 'dev', type: 'push' },
    ]),
  },
});
const routes: AdminRoutes = (app, kit) =>
  apiKeyRoutes({
    keys: createApiKeyService({
      store: kit.store,
      config: config.api_keys,
      issuers: createIssuerDirectory(config.api_keys.issuers),
      hashers: createKeyHashers('sha256'),
    }),
    tokenProtected: false,
  })(app, kit);

describe('Admin API: api-keys', () => {
  let database: TestDatabase;
  let h: AdminHarness;

  before(async () => {
    database = await createTestDatabase('sqlite');
    h = await createAdminHarness(database, { extraRoutes: [routes] });
    await h.call('POST', '/services', { name: 'orders', url: 'http://orders.test' });
    await h.call('POST', '/consumers', { username: 'alice' });
  });
  after(async () => {
    await h.close();
    await database.drop();
  });

  describe('201', () => {
    it('generates a key with every field optional; the plaintext once, not cached by intermediaries', async () => {
      const res = await h.call('POST', '/services/orders/api-keys', {});
      assert.equal(res.status, 201);
      assert.match(res.body.api_key, /^pcg_[0-9a-f]{72}$/);
      assert.equal(res.body.key_id, res.body.api_key.slice(4, 20));
      assert.equal(res.headers['cache-control'], 'no-store');
      const shown = await h.call('GET', `/services/orders/api-keys/${res.body.name}`);
      assert.equal(shown.body.api_key, undefined);
      assert.ok(!shown.text.includes(res.body.api_key.slice(20)));
    });

    it('registers a consumer key, a push issuer digest and an external value', async () => {
      assert.equal((await h.call('POST', '/consumers/alice/api-keys', { name: 'own' })).status, 201);
      const digest = await h.call('POST', '/services/orders/api-keys', { name: 'pushed', sha256: 'a'.repeat(64) });
      assert.equal(digest.status, 201);
      assert.equal(digest.body.issuer, 'devportal');
      assert.equal(digest.body.api_key, undefined);
      const external = await h.call('PUT', '/services/orders/api-keys/legacy', { api_key: 'legacy-value-0123456789abcdef' });
      assert.equal(external.status, 201);
      assert.equal(external.body.source, 'external');
      const replaced = await h.call('PUT', '/services/orders/api-keys/legacy', { api_key: 'legacy-value-fedcba9876543210' });
      assert.equal(replaced.status, 200);
    });
  });

  describe('200', () => {
    it('regenerates with a grace period and shows until when the old value works', async () => {
      await h.call('POST', '/services/orders/api-keys', { name: 'rot' });
      const res = await h.call('POST', '/services/orders/api-keys/rot/regenerate', { grace_period: 120 });
      assert.equal(res.status, 200);
      assert.match(res.body.api_key, /^pcg_/);
      assert.ok(Date.parse(res.body.grace_until) > Date.now());
    });

    it('lists masked keys with pagination and filters', async () => {
      const page = await h.call('GET', '/services/orders/api-keys?size=2');
      assert.equal(page.status, 200);
      assert.equal(page.body.data.length, 2);
      assert.ok(page.body.next);
      const next = await h.call('GET', page.body.next);
      assert.ok(next.body.data.length >= 1);
      for (const k of [...page.body.data, ...next.body.data]) assert.match(k.masked_key, /…$/);
      const byIssuer = await h.call('GET', '/api-keys?issuer=devportal');
      assert.deepEqual(
        byIssuer.body.data.map((k: { name: string }) => k.name),
        ['pushed'],
      );
      const consumers = await h.call('GET', '/consumers/alice/api-keys');
      assert.deepEqual(
        consumers.body.data.map((k: { name: string }) => k.name),
        ['own'],
      );
    });
  });

  describe('202 and 204', () => {
    it('accepts a remote issuer’s revocations', async () => {
      const res = await h.call('POST', '/api-keys/revocations', { key_ids: ['0123456789abcdef'] });
      assert.equal(res.status, 202);
      assert.deepEqual(res.body, { accepted: 1 });
    });

    it('revokes idempotently, unknown keys included (an unknown owner is 404: see api-key-listings.test.ts)', async () => {
      assert.equal((await h.call('DELETE', '/services/orders/api-keys/rot')).status, 204);
      assert.equal((await h.call('GET', '/services/orders/api-keys/rot')).body.status, 'revoked');
      assert.equal((await h.call('DELETE', '/services/orders/api-keys/rot')).status, 204);
      assert.equal((await h.call('DELETE', '/services/orders/api-keys/nothing')).status, 204);
      assert.equal((await h.call('DELETE', '/services/nope/api-keys/nothing')).status, 404);
    });
  });

  describe('400', () => {
    it('refuses bad names, unknown fields, both expiry forms, bad digests and status filters', async () => {
      const cases: [string, unknown, string][] = [
        ['/services/orders/api-keys', { name: 'Bad Name' }, 'name'],
        ['/services/orders/api-keys', { nope: 1 }, 'nope'],
        ['/services/orders/api-keys', { expires_at: '2030-01-01T00:00:00Z', expires_in: { unit: 'days', duration: 1 } }, 'expires_in'],
        ['/services/orders/api-keys', { expires_in: { unit: 'years', duration: 1 } }, 'expires_in.unit'],
        ['/services/orders/api-keys', { sha256: 'xyz' }, 'sha256'],
        ['/services/orders/api-keys', { api_key: 'short' }, 'api_key'],
      ];
      for (const [url, body, path] of cases) {
        const res = await h.call('POST', url, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.body.code, 'PC_VALIDATION_FAILED');
        assert.equal(res.body.fields[0].path, path, JSON.stringify(res.body));
      }
      assert.equal((await h.call('GET', '/api-keys?status=lost')).status, 400);
      assert.equal((await h.call('POST', '/api-keys/revocations', { key_ids: ['not-hex'] })).status, 400);
    });

    it('refuses generating for a push issuer (it makes its own keys)', async () => {
      const res = await h.call('POST', '/services/orders/api-keys', { issuer: 'devportal' });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'PC_APIKEY_ISSUER_READ_ONLY');
    });
  });

  describe('403', () => {
    it('refuses a plaintext value from a remote address when the Admin API has no token', async () => {
      const res = await h.app.inject({
        method: 'POST',
        url: '/services/orders/api-keys',
        remoteAddress: '10.1.2.3',
        payload: { name: 'remote', api_key: 'legacy-value-0000000000000000' },
      });
      assert.equal(res.statusCode, 403);
      assert.equal(res.json().code, 'PC_APIKEY_PLAINTEXT_REFUSED');
    });
  });

  describe('404', () => {
    it('answers an unknown owner or key with 404', async () => {
      assert.equal((await h.call('POST', '/services/nope/api-keys', {})).status, 404);
      assert.equal((await h.call('GET', '/services/orders/api-keys/nope')).status, 404);
      assert.equal((await h.call('POST', '/services/orders/api-keys/nope/regenerate', {})).status, 404);
    });
  });

  describe('409', () => {
    it('refuses a duplicate name and a consumer over max_per_consumer', async () => {
      await h.call('POST', '/services/orders/api-keys', { name: 'dup' });
      const dup = await h.call('POST', '/services/orders/api-keys', { name: 'dup' });
      assert.equal(dup.status, 409);
      assert.equal((await h.call('POST', '/consumers/alice/api-keys', { name: 'second' })).status, 201);
      const over = await h.call('POST', '/consumers/alice/api-keys', { name: 'third' });
      assert.equal(over.status, 409);
      assert.equal(over.body.code, 'PC_STORE_LIMIT_REACHED');
    });
  });

  it('documents the routes in /openapi.json', async () => {
    const doc = (await h.call('GET', '/openapi.json')).body;
    for (const path of ['/services/{service}/api-keys', '/consumers/{consumer}/api-keys/{name}/regenerate', '/api-keys', '/api-keys/revocations']) {
      assert.ok(doc.paths[path], path);
    }
  });
});
