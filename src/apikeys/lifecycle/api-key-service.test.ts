import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createStore, type Store } from '../../store/store.js';
import { PortcullisError } from '../../errors/portcullis-error.js';
import { loadConfig } from '../../config/load-config.js';
import { createKeyHashers } from '../hashing/key-hashers.js';
import { sha256Hex } from '../hashing/sha256-hex.js';
import { parseApiKey } from '../key-format.js';
import { createIssuerDirectory } from './issuers.js';
import { createApiKeyService, type ApiKeyService } from './api-key-service.js';
import { toApiKeyView } from './api-key-view.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { TEST_CIPHER } from '../../store/testing/test-cipher.js';

const config = loadConfig({
  env: {
    PORTCULLIS_API_KEYS_MAX_PER_CONSUMER: '3',
    PORTCULLIS_API_KEYS_ISSUERS: JSON.stringify([
      { name: 'portcullis', prefix: 'pcg', type: 'local' },
      { name: 'devportal', prefix: 'dev', type: 'push' },
      { name: 'mgmt', prefix: 'mgt', type: 'remote', url: 'http://127.0.0.1:9/validate' },
    ]),
  },
});
const open = { protectedConnection: true };

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<PortcullisError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof PortcullisError, String(err));
    assert.equal(err.code, code);
    return err;
  }
  assert.fail(`expected ${code}`);
}

for (const dialect of DIALECTS) {
  describe(`API key lifecycle on ${dialect}`, () => {
    let database: TestDatabase;
    let store: Store;
    let service: ApiKeyService;
    let clock = Date.parse('2026-11-22T10:00:00Z');

    before(async () => {
      database = await createTestDatabase(dialect);
      store = createStore({ cipher: TEST_CIPHER, config: database.config });
      await store.migrate();
      await store.services.insert({ name: 'orders', url: 'http://orders.test' });
      await store.consumers.insert({ username: 'alice' });
      service = createApiKeyService({
        store,
        config: config.api_keys,
        issuers: createIssuerDirectory(config.api_keys.issuers),
        hashers: createKeyHashers('sha256'),
        now: () => clock,
      });
    });
    after(async () => {
      await store.close();
      await database.drop();
    });

    it('generates a key in the documented format, returns it once and stores only a salted hash', async () => {
      const { record, plaintext } = await service.create({ service: 'orders' }, { name: 'mobile-app' }, open);
      const key = plaintext!.reveal();
      const parsed = parseApiKey(key);
      assert.equal(parsed.kind, 'portcullis');
      assert.equal(record.key_id, parsed.kind === 'portcullis' ? parsed.id : '');
      assert.equal(record.secret.lookup, `pcg_${record.key_id}`);
      assert.equal(record.secret.algorithm, 'sha256');
      assert.notEqual(record.secret.hash, sha256Hex(key), 'the hash is salted');
      const rows = await store.db.selectFrom('api_keys').selectAll().execute();
      assert.ok(!JSON.stringify(rows).includes(key), 'the plaintext is nowhere in the table');
      assert.ok(!JSON.stringify(rows).includes(key.slice(20, 60)), 'nor its secret part');
      const view = toApiKeyView(record, clock / 1000);
      assert.equal(view.masked_key, `pcg_${record.key_id}…`);
      assert.ok(!JSON.stringify(view).includes(record.secret.hash));
    });

    it('names a key with a generated slug when no name is given', async () => {
      const { record } = await service.create({ service: 'orders' }, {}, open);
      assert.match(record.name, /^key-[0-9a-f]{8}$/);
    });

    it('refuses a second active key with the same name for the same owner', async () => {
      await rejectsWith(service.create({ service: 'orders' }, { name: 'mobile-app' }, open), 'PC_STORE_UNIQUE_VIOLATION');
    });

    it('computes expiry from expires_in, expires_at and the default, refusing past dates', async () => {
      const inOneDay = await service.create({ service: 'orders' }, { name: 'exp-in', expires_in: { unit: 'days', duration: 1 } }, open);
      assert.equal(inOneDay.record.expires_at, clock / 1000 + 86_400);
      const at = await service.create({ service: 'orders' }, { name: 'exp-at', expires_at: '2027-01-01T00:00:00Z' }, open);
      assert.equal(at.record.expires_at, Date.parse('2027-01-01T00:00:00Z') / 1000);
      await rejectsWith(service.create({ service: 'orders' }, { name: 'past', expires_at: '2020-01-01T00:00:00Z' }, open), 'PC_VALIDATION_FAILED');
      await rejectsWith(
        service.create({ service: 'orders' }, { name: 'both', expires_at: '2027-01-01T00:00:00Z', expires_in: { unit: 'days', duration: 1 } }, open),
        'PC_VALIDATION_FAILED',
      );
    });

    it('registers an external key by SHA-256 lookup, and a push issuer key by digest only', async () => {
      const external = await service.create({ service: 'orders' }, { name: 'legacy', api_key: 'legacy-system-key-0123456789' }, open);
      assert.equal(external.plaintext, null);
      assert.equal(external.record.source, 'external');
      assert.equal(external.record.secret.lookup, `sha256:${sha256Hex('legacy-system-key-0123456789')}`);
      const digest = sha256Hex('dev_portal_key_value');
      const pushed = await service.create({ service: 'orders' }, { name: 'portal', sha256: digest.toUpperCase() }, open);
      assert.equal(pushed.record.issuer, 'devportal');
      assert.equal(pushed.record.secret.lookup, `sha256:${digest}`);
      assert.equal(pushed.record.secret.algorithm, 'sha256-digest');
    });

    it('refuses plaintext registration over an unprotected connection, bad values and unknown or remote prefixes', async () => {
      await rejectsWith(
        service.create({ service: 'orders' }, { name: 'x1', api_key: 'legacy-system-key-9876543210' }, { protectedConnection: false }),
        'PC_APIKEY_PLAINTEXT_REFUSED',
      );
      await rejectsWith(service.create({ service: 'orders' }, { name: 'x2', api_key: 'short' }, open), 'PC_VALIDATION_FAILED');
      const foreign = `zzz_${'a'.repeat(64)}`;
      const crc = (await import('../key-format.js')).keyChecksum(foreign);
      await rejectsWith(service.create({ service: 'orders' }, { name: 'x3', api_key: foreign + crc }, open), 'PC_APIKEY_ISSUER_UNKNOWN');
      const remote = `mgt_${'b'.repeat(64)}`;
      await rejectsWith(
        service.create({ service: 'orders' }, { name: 'x4', api_key: remote + (await import('../key-format.js')).keyChecksum(remote) }, open),
        'PC_APIKEY_ISSUER_READ_ONLY',
      );
      await rejectsWith(service.create({ service: 'orders' }, { name: 'x5', issuer: 'devportal' }, open), 'PC_APIKEY_ISSUER_READ_ONLY');
    });

    it('regenerates with a grace period: the old secret is kept as previous until it ends', async () => {
      const before = await service.get({ service: 'orders' }, 'mobile-app');
      const { record, plaintext } = await service.regenerate({ service: 'orders' }, 'mobile-app', { grace_period: 60 });
      assert.ok(plaintext);
      assert.equal(record.id, before.id);
      assert.notEqual(record.key_id, before.key_id);
      assert.deepEqual(record.previous, { ...before.secret, valid_until: clock / 1000 + 60 });
      const again = await service.regenerate({ service: 'orders' }, 'mobile-app', {});
      assert.equal(again.record.previous, null, 'without grace the old secret stops at once');
    });

    it('revokes idempotently, also for unknown keys (an unknown owner is PC_NOT_FOUND), and frees the name', async () => {
      await service.revoke({ service: 'orders' }, 'mobile-app');
      assert.equal((await service.get({ service: 'orders' }, 'mobile-app')).status, 'revoked');
      await service.revoke({ service: 'orders' }, 'mobile-app');
      await service.revoke({ service: 'orders' }, 'never-existed');
      await rejectsWith(service.revoke({ service: 'no-such-service' }, 'x'), 'PC_NOT_FOUND');
      await rejectsWith(service.revoke({ consumer: 'no-such-consumer' }, 'x'), 'PC_NOT_FOUND');
      const fresh = await service.create({ service: 'orders' }, { name: 'mobile-app' }, open);
      assert.equal(fresh.record.status, 'active');
    });

    it('enforces max_per_consumer over a consumer’s active keys', async () => {
      for (let i = 0; i < 3; i++) await service.create({ consumer: 'alice' }, { name: `k${i}` }, open);
      await rejectsWith(service.create({ consumer: 'alice' }, { name: 'k3' }, open), 'PC_STORE_LIMIT_REACHED');
      await service.revoke({ consumer: 'alice' }, 'k0');
      await service.create({ consumer: 'alice' }, { name: 'k3' }, open);
    });

    it('lists by owner and status, expired computed from the clock', async () => {
      const all = await service.list({ owner: { service: 'orders' } });
      assert.ok(all.data.length >= 5);
      clock += 2 * 86_400_000;
      const expired = await service.list({ owner: { service: 'orders' }, status: 'expired' });
      assert.deepEqual(
        expired.data.map((r) => r.name),
        ['exp-in'],
      );
      const revoked = await service.list({ status: 'revoked' });
      assert.ok(revoked.data.every((r) => r.status === 'revoked'));
      const devportal = await service.list({ issuer: 'devportal' });
      assert.deepEqual(
        devportal.data.map((r) => r.name),
        ['portal'],
      );
    });

    it('records a cluster event for each change, carrying the public id only', async () => {
      const from = await store.events.latestId();
      const { record } = await service.create({ service: 'orders' }, { name: 'evt' }, open);
      await service.regenerate({ service: 'orders' }, 'evt', {});
      await service.revoke({ service: 'orders' }, 'evt');
      const events = (await store.events.since(from)).filter((e) => e.entity === 'api_keys');
      assert.deepEqual(
        events.map((e) => e.operation),
        ['create', 'update', 'update'],
      );
      assert.equal(events[0]!.data!['key_id'], record.key_id);
      assert.equal(events[1]!.data!['replaced_key_id'], record.key_id);
      assert.ok(!JSON.stringify(events).includes(record.secret.hash));
    });
  });
}
