/**
 * Concurrent writes of one store secret, on SQLite and PostgreSQL (there through two stores on one
 * database, as two nodes): every write gets its own version, none fails, none is lost, and the
 * history keeps exactly the newest `max_versions`.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createStore, type Store } from '../../src/store/store.js';
import { TEST_CIPHER } from '../../src/store/testing/test-cipher.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';

for (const dialect of DIALECTS) {
  describe(`concurrent store secret writes on ${dialect}`, () => {
    let database: TestDatabase;
    let stores: Store[];
    let vaultId = '';

    before(async () => {
      database = await createTestDatabase(dialect);
      // Two connections on PostgreSQL, as two nodes. On SQLite one: better-sqlite3 waits for a lock
      // synchronously, so two connections in one process would block the event loop that must
      // finish the first transaction (two processes on one file are the two-node suites' job).
      const first = createStore({ cipher: TEST_CIPHER, config: database.config });
      stores = dialect === 'postgres' ? [first, createStore({ cipher: TEST_CIPHER, config: database.config })] : [first];
      const migrated = await stores[0]!.migrate();
      if (migrated.error) throw migrated.error;
      vaultId = (await stores[0]!.vaults.insert({ prefix: 'st', name: 'store', config: { max_versions: 5 } })).id;
    });
    after(async () => {
      for (const store of stores ?? []) await store.close();
      await database?.drop();
    });

    it('gives 30 concurrent writes 30 distinct versions and keeps the newest 5', async () => {
      const writes = await Promise.all(Array.from({ length: 30 }, (_, i) => stores[i % stores.length]!.vaultSecrets.put(vaultId, 'shared', `value-${i}`, 5)));
      const versions = writes.map((w) => w.version).sort((a, b) => a - b);
      assert.deepEqual(
        versions,
        Array.from({ length: 30 }, (_, i) => i + 1),
      );
      const [summary] = await stores[0]!.vaultSecrets.list(vaultId);
      assert.deepEqual(summary?.versions, [26, 27, 28, 29, 30]);
      const newest = writes.find((w) => w.version === 30)!;
      const index = writes.indexOf(newest);
      assert.equal(await stores.at(-1)!.vaultSecrets.get(vaultId, 'shared', null), `value-${index}`, 'the newest version holds what its write wrote');
    });
  });
}
