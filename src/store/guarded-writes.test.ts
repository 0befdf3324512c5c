/**
 * Every write path of the store refuses a database file that was deleted, replaced or made
 * read-only under it, with the code naming the cause, and commits nothing: entity and API-key
 * DAOs, cluster events, the last-used flush, re-hashing, store transactions and event pruning.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, renameSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import SQLite from './dialects/sqlite-binding.js';
import type { ApiKeyRecord } from '../entities/api-keys.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { databaseErrorFields } from './store-errors.js';
import { createStore, type Store } from './store.js';
import { TEST_CIPHER } from './testing/test-cipher.js';
import { testApiKeyRecord } from '../../test/support/api-key-records.js';

interface Fixture {
  readonly serviceId: string;
  readonly key: ApiKeyRecord;
}

const WRITES: readonly { readonly name: string; run(store: Store, fx: Fixture): Promise<unknown> }[] = [
  { name: 'services.insert', run: (s) => s.services.insert({ name: 'new', url: 'http://new.test' }) },
  { name: 'services.update', run: (s) => s.services.update('svc', { retries: 1 }) },
  { name: 'services.upsert', run: (s) => s.services.upsert('svc', { url: 'http://changed.test' }) },
  { name: 'services.delete', run: (s) => s.services.delete('svc') },
  { name: 'consumers.insert', run: (s) => s.consumers.insert({ username: 'bob' }) },
  {
    name: 'apiKeys.insert',
    run: (s, fx) => s.apiKeys.insert({ ...fx.key, id: randomUUID(), name: 'k2', key_id: 'b'.repeat(16), secret: { ...fx.key.secret, lookup: 'pcg_b' } }),
  },
  { name: 'apiKeys.replaceSecret', run: (s, fx) => s.apiKeys.replaceSecret(fx.key, { ...fx.key, secret: { ...fx.key.secret, hash: 'f'.repeat(64) } }, 2) },
  { name: 'apiKeys.revoke', run: (s, fx) => s.apiKeys.revoke(fx.key, 2) },
  { name: 'apiKeys.touch (last-used flush)', run: (s, fx) => s.apiKeys.touch(new Map([[fx.key.key_id, 99]])) },
  { name: 'apiKeys.rehash', run: (s, fx) => s.apiKeys.rehash(fx.key.id, false, { algorithm: 'sha256', salt: null, hash: 'e'.repeat(64) }) },
  { name: 'recordEvent (cluster events)', run: (s) => s.recordEvent({ entity: 'api_key_revocations', entity_id: 'remote', operation: 'delete', data: null }) },
  { name: 'transaction', run: (s) => s.transaction(() => s.consumers.insert({ username: 'carol' })) },
  { name: 'events.prune', run: (s) => s.events.prune(Date.now() + 60_000) },
];

const FAILURES: readonly {
  readonly name: string;
  readonly act: (path: string) => void;
  readonly code: string;
  readonly cause: string;
}[] = [
  { name: 'deleted', act: (p) => unlinkSync(p), code: 'PC_STORE_UNAVAILABLE', cause: 'DB_FILE_DELETED' },
  {
    name: 'replaced by another database',
    act: (p) => {
      const other = join(p, '..', 'other.db');
      new SQLite(other).exec('create table x (y)');
      renameSync(other, p);
    },
    code: 'PC_STORE_UNAVAILABLE',
    cause: 'DB_FILE_REPLACED',
  },
  { name: 'made read-only (0444)', act: (p) => chmodSync(p, 0o444), code: 'PC_STORE_READ_ONLY', cause: 'DB_FILE_READ_ONLY' },
];

async function snapshot(store: Store, fx: Fixture) {
  return {
    services: (await store.services.list()).data,
    consumers: (await store.consumers.list()).data,
    key: await store.apiKeys.getById(fx.key.id),
    lastEvent: await store.events.latestId(),
    events: (await store.events.since(0)).length,
  };
}

for (const failure of FAILURES) {
  describe(`store writes to a database file ${failure.name} under it`, () => {
    let database: TestDatabase;
    let store: Store;
    let fx: Fixture;
    let before_: Awaited<ReturnType<typeof snapshot>>;

    before(async () => {
      database = await createTestDatabase('sqlite');
      store = createStore({ cipher: TEST_CIPHER, config: database.config });
      await store.migrate();
      const svc = await store.services.insert({ name: 'svc', url: 'http://svc.test' });
      const key: ApiKeyRecord = testApiKeyRecord(
        '',
        {},
        {
          name: 'k1',
          key_id: 'a'.repeat(16),
          issuer: 'pcg',
          secret: { lookup: 'pcg_a', algorithm: 'sha256', salt: null, hash: '0'.repeat(64) },
          service: { id: svc.id },
          consumer: null,
        },
      );
      await store.apiKeys.insert(key);
      fx = { serviceId: svc.id, key };
      before_ = await snapshot(store, fx);
      failure.act(database.config.sqlite_path);
    });
    after(async () => {
      await store.close();
      await database.drop();
    });

    for (const write of WRITES) {
      it(`refuses ${write.name} with 503 ${failure.code} (${failure.cause})`, async () => {
        await assert.rejects(write.run(store, fx), (err: unknown) => {
          assert.ok(err instanceof PortcullisError, String(err));
          assert.equal(err.code, failure.code);
          assert.equal(err.status, 503);
          assert.equal(databaseErrorFields(err).db_code, failure.cause);
          return true;
        });
      });
    }

    it('committed none of them', async () => {
      assert.deepEqual(await snapshot(store, fx), before_);
    });

    it('reports the cause from storage.check()', async () => {
      assert.equal((await store.storage.check())?.code, failure.code);
    });
  });
}

describe('a database file deleted while a write transaction runs', () => {
  it('rolls the write back instead of committing it into the deleted file', async () => {
    const database = await createTestDatabase('sqlite');
    const store = createStore({ cipher: TEST_CIPHER, config: database.config });
    await store.migrate();
    try {
      await assert.rejects(
        store.transaction(async () => {
          await store.services.insert({ name: 'late', url: 'http://late.test' });
          unlinkSync(database.config.sqlite_path);
        }),
        (err: PortcullisError) => err.code === 'PC_STORE_UNAVAILABLE' && /was deleted/.test(err.message),
      );
      assert.equal(await store.services.get('late'), null);
      assert.equal(await store.events.latestId(), 0);
    } finally {
      await store.close();
      await database.drop();
    }
  });
});
