/**
 * The API-key DAO's lookups by id under an owner (`getOwnedById`, `lockOwnedById`), on SQLite and
 * PostgreSQL: a key is found under the owner that owns it (its service, or its consumer when no
 * service owns it) in any status, and under no other owner.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { ApiKeyOwner, ApiKeyRecord } from '../entities/api-keys.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { testApiKeyRecord } from '../../test/support/api-key-records.js';
import { createStore, type Store } from './store.js';
import { TEST_CIPHER } from './testing/test-cipher.js';

for (const dialect of DIALECTS) {
  describe(`ApiKeyDao by id under an owner (${dialect})`, () => {
    let database: TestDatabase;
    let store: Store;
    const ids: Record<'alice' | 'bob' | 'orders' | 'billing', string> = { alice: '', bob: '', orders: '', billing: '' };
    const keys: Record<'aliceOwn' | 'ordersForAlice' | 'ordersBare' | 'aliceRevoked', ApiKeyRecord> = {} as never;
    const owner = (o: { service?: 'orders' | 'billing'; consumer?: 'alice' | 'bob' }): ApiKeyOwner => ({
      service_id: o.service ? ids[o.service] : null,
      consumer_id: o.consumer ? ids[o.consumer] : null,
    });

    before(async () => {
      database = await createTestDatabase(dialect);
      store = createStore({ cipher: TEST_CIPHER, config: database.config, nodeId: 'node-test' });
      const migrated = await store.migrate();
      if (migrated.error) throw migrated.error;
      ids.alice = (await store.consumers.insert({ username: 'alice' })).id;
      ids.bob = (await store.consumers.insert({ username: 'bob' })).id;
      ids.orders = (await store.services.insert({ name: 'orders', url: 'http://orders.test' })).id;
      ids.billing = (await store.services.insert({ name: 'billing', url: 'http://billing.test' })).id;
      keys.aliceOwn = await store.apiKeys.insert(testApiKeyRecord(ids.alice));
      keys.ordersForAlice = await store.apiKeys.insert(testApiKeyRecord(ids.alice, {}, { service: { id: ids.orders } }));
      keys.ordersBare = await store.apiKeys.insert(testApiKeyRecord('', {}, { service: { id: ids.orders }, consumer: null }));
      keys.aliceRevoked = await store.apiKeys.insert(testApiKeyRecord(ids.alice));
      await store.apiKeys.revoke(keys.aliceRevoked, 5);
    });
    after(async () => {
      await store.close();
      await database.drop();
    });

    const CASES: readonly { key: keyof typeof keys; owner: Parameters<typeof owner>[0]; found: boolean; why: string }[] = [
      { key: 'aliceOwn', owner: { consumer: 'alice' }, found: true, why: "a consumer's own key" },
      { key: 'aliceRevoked', owner: { consumer: 'alice' }, found: true, why: 'a revoked key of its owner (shown, in its status)' },
      { key: 'ordersForAlice', owner: { service: 'orders' }, found: true, why: "a service's key that identifies a consumer" },
      { key: 'ordersBare', owner: { service: 'orders' }, found: true, why: "a service's key without consumer" },
      { key: 'aliceOwn', owner: { consumer: 'bob' }, found: false, why: "another consumer's key" },
      { key: 'aliceOwn', owner: { service: 'orders' }, found: false, why: "a consumer's key under a service" },
      { key: 'ordersForAlice', owner: { consumer: 'alice' }, found: false, why: "a service's key under the consumer it identifies" },
      { key: 'ordersForAlice', owner: { service: 'billing' }, found: false, why: "another service's key" },
      { key: 'ordersBare', owner: { consumer: 'alice' }, found: false, why: "a service's key under a consumer" },
      { key: 'aliceOwn', owner: {}, found: false, why: 'no owner at all' },
    ];

    for (const c of CASES) {
      it(`${c.found ? 'finds' : 'does not find'} ${c.why}, read and locked alike`, async () => {
        const read = await store.apiKeys.getOwnedById(owner(c.owner), keys[c.key].id);
        const locked = await store.transaction(() => store.apiKeys.lockOwnedById(owner(c.owner), keys[c.key].id));
        for (const found of [read, locked]) assert.equal(found?.id, c.found ? keys[c.key].id : undefined);
      });
    }

    it('finds an id written in upper case, and nothing for an unknown id', async () => {
      assert.equal((await store.apiKeys.getOwnedById(owner({ consumer: 'alice' }), keys.aliceOwn.id.toUpperCase()))?.name, keys.aliceOwn.name);
      assert.equal(await store.apiKeys.getOwnedById(owner({ consumer: 'alice' }), randomUUID()), null);
    });

    it('returns the revoked status as stored', async () => {
      assert.equal((await store.apiKeys.getOwnedById(owner({ consumer: 'alice' }), keys.aliceRevoked.id))?.status, 'revoked');
    });
  });
}
