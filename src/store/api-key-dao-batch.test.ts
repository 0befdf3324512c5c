/**
 * The API-key DAO's bulk operations (`insertMany`, `findTaken`, `recordBulkEvent`), on SQLite and
 * PostgreSQL: rows are written in multi-row batches (more than one batch here) and read back
 * decrypted as inserted, without an event per key; `findTaken` names exactly the values already
 * stored (lookups, previous lookups, public ids, names), this transaction's writes included; a
 * rolled-back transaction leaves nothing.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiKeyRecord } from '../entities/api-keys.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { testApiKeyRecord } from '../../test/support/api-key-records.js';
import { INSERT_BATCH_ROWS, nameCacheKey } from './api-key-dao.js';
import { createStore, type Store } from './store.js';
import { TEST_CIPHER } from './testing/test-cipher.js';
import { createKeyringHolder, generateKey, withKeys } from '../keyring/keyring.js';
import { WORKER_BATCH_MIN, createKeyringCipher, parseCiphertext } from '../keyring/keyring-cipher.js';

for (const dialect of DIALECTS) {
  describe(`ApiKeyDao bulk insert (${dialect})`, () => {
    let database: TestDatabase;
    let store: Store;
    let alice = '';
    let stored: ApiKeyRecord;

    before(async () => {
      database = await createTestDatabase(dialect);
      store = createStore({ cipher: TEST_CIPHER, config: database.config, nodeId: 'node-test' });
      const migrated = await store.migrate();
      if (migrated.error) throw migrated.error;
      alice = (await store.consumers.insert({ username: 'alice' })).id;
      stored = await store.apiKeys.insert(testApiKeyRecord(alice, { withPrevious: true }));
    });
    after(async () => {
      await store.close();
      await database.drop();
    });

    it('inserts more than one batch of keys in one call, each read back as written, with no event per key', async () => {
      // Two full batches (the second reuses the first's INSERT text) and a short one; some keys
      // with a previous secret (four sealed fields, not two).
      const records = Array.from({ length: 2 * INSERT_BATCH_ROWS + 7 }, (_, i) => testApiKeyRecord(alice, { withPrevious: i % 3 === 0 }));
      const before = await store.events.latestId();
      await store.apiKeys.insertMany(records);
      assert.equal(await store.events.latestId(), before, 'insertMany records no event');
      for (const i of [0, 1, INSERT_BATCH_ROWS, INSERT_BATCH_ROWS + 1, INSERT_BATCH_ROWS + 500, 2 * INSERT_BATCH_ROWS - 1, records.length - 1])
        assert.deepEqual(await store.apiKeys.getById(records[i]!.id), records[i], `record ${i}`);
      const found = await store.apiKeys.findByLookup(records[INSERT_BATCH_ROWS + 500]!.secret.lookup);
      assert.equal(found?.record.id, records[INSERT_BATCH_ROWS + 500]!.id);
    });

    it('seals through the keyring cipher (on its worker thread for a large batch): each secret column holds $ke$ under the active key', async () => {
      const holder = createKeyringHolder();
      const active = generateKey(0);
      holder.replace(withKeys(holder.current(), [active], active.id));
      const keyringStore = createStore({ cipher: createKeyringCipher(holder), config: database.config, nodeId: 'node-test-keyring' });
      try {
        const records = Array.from({ length: WORKER_BATCH_MIN + 10 }, (_, i) => testApiKeyRecord(alice, { withPrevious: i % 2 === 0 }));
        await keyringStore.apiKeys.insertMany(records);
        for (const i of [0, 1, records.length - 1]) assert.deepEqual(await keyringStore.apiKeys.getById(records[i]!.id), records[i], `record ${i}`);
        const raw = await keyringStore.db
          .selectFrom('api_keys')
          .select(['salt', 'hash', 'prev_salt', 'prev_hash'])
          .where(
            'id',
            'in',
            records.map((r) => r.id),
          )
          .execute();
        assert.equal(raw.length, records.length);
        const sealed = raw.flatMap((r) => [r.salt, r.hash, r.prev_salt, r.prev_hash]).filter((v) => v !== null);
        assert.equal(sealed.length, records.length * 2 + Math.ceil(records.length / 2) * 2);
        for (const value of sealed) assert.equal(parseCiphertext(String(value))?.keyId, active.id, String(value).slice(0, 30));
      } finally {
        await keyringStore.close();
      }
    });

    it('records one bulk event naming how many keys were imported', async () => {
      const before = await store.events.latestId();
      await store.apiKeys.recordBulkEvent('import', 1234);
      const events = await store.events.since(before);
      assert.deepEqual(
        events.map((e) => [e.entity, e.entity_id, e.operation, e.data]),
        [['api_keys', 'import', 'create', { imported: 1234 }]],
      );
    });

    const TAKEN_CASES: readonly {
      name: string;
      values: (r: ApiKeyRecord) => Parameters<Store['apiKeys']['findTaken']>[0];
      expect: (r: ApiKeyRecord) => [string[], string[], string[]];
    }[] = [
      {
        name: 'a stored lookup',
        values: (r) => ({ lookups: [r.secret.lookup, 'pcg_free'], keyIds: [], cacheKeys: [] }),
        expect: (r) => [[r.secret.lookup, r.previous!.lookup], [r.key_id], [cacheKeyOf(r)]],
      },
      {
        name: 'a stored previous lookup (a secret in its grace period)',
        values: (r) => ({ lookups: [r.previous!.lookup], keyIds: [], cacheKeys: [] }),
        expect: (r) => [[r.secret.lookup, r.previous!.lookup], [r.key_id], [cacheKeyOf(r)]],
      },
      {
        name: 'a stored public id',
        values: (r) => ({ lookups: [], keyIds: ['0000000000000000', r.key_id], cacheKeys: [] }),
        expect: (r) => [[r.secret.lookup, r.previous!.lookup], [r.key_id], [cacheKeyOf(r)]],
      },
      {
        name: 'a name in use by the owner',
        values: (r) => ({ lookups: [], keyIds: [], cacheKeys: [cacheKeyOf(r)] }),
        expect: (r) => [[r.secret.lookup, r.previous!.lookup], [r.key_id], [cacheKeyOf(r)]],
      },
      {
        name: 'nothing stored',
        values: () => ({ lookups: ['pcg_free'], keyIds: ['ffffffffffffffff'], cacheKeys: ['api_keys:consumer:x:free'] }),
        expect: () => [[], [], []],
      },
      { name: 'an empty question', values: () => ({ lookups: [], keyIds: [], cacheKeys: [] }), expect: () => [[], [], []] },
    ];
    for (const c of TAKEN_CASES) {
      it(`findTaken finds ${c.name}`, async () => {
        const taken = await store.apiKeys.findTaken(c.values(stored));
        assert.deepEqual(
          [[...taken.lookups].sort(), [...taken.keyIds], [...taken.cacheKeys]],
          c.expect(stored).map((xs, i) => (i === 0 ? [...xs].sort() : xs)),
        );
      });
    }

    it('findTaken sees keys inserted earlier in the same transaction; a rollback leaves none of them', async () => {
      const record = testApiKeyRecord(alice);
      await assert.rejects(
        store.transaction(async () => {
          await store.apiKeys.insertMany([record]);
          const taken = await store.apiKeys.findTaken({ lookups: [record.secret.lookup], keyIds: [], cacheKeys: [] });
          assert.deepEqual([...taken.lookups], [record.secret.lookup]);
          throw new Error('roll back');
        }),
        /roll back/,
      );
      assert.equal(await store.apiKeys.getById(record.id), null);
    });
  });
}

function cacheKeyOf(r: ApiKeyRecord): string {
  return nameCacheKey({ service_id: r.service?.id ?? null, consumer_id: r.consumer?.id ?? null }, r.name);
}
