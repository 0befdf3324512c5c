/**
 * The API-key DAO's write rules, the same on SQLite and PostgreSQL (issue 6, class 14): a write
 * never undoes a concurrent revoke or secret change (compare-and-set), changes only its own
 * columns, names in its event the secret the row held, and row locks make a second writer wait
 * and then see what the first committed.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import SQLite from '../../src/store/dialects/sqlite-binding.js';
import { createStore, type Store } from '../../src/store/store.js';
import { PortcullisError } from '../../src/errors/portcullis-error.js';
import type { ApiKeyRecord } from '../../src/entities/api-keys.js';
import type { ClusterEvent } from '../../src/store/cluster-events.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { TEST_CIPHER } from '../../src/store/testing/test-cipher.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function secret() {
  const id = randomBytes(8).toString('hex');
  return { key_id: id, secret: { lookup: `pcg_${id}`, algorithm: 'sha256', salt: 'salt', hash: randomBytes(32).toString('hex') } };
}

function newKey(consumerId: string, name: string): ApiKeyRecord {
  return {
    id: randomUUID(),
    name,
    display_name: null,
    ...secret(),
    issuer: 'portcullis',
    prefix: 'pcg',
    source: 'generated',
    previous: null,
    service: null,
    consumer: { id: consumerId },
    status: 'active',
    expires_at: null,
    revoked_at: null,
    last_used_at: null,
    metadata: { team: 'a' },
    created_at: 1,
    updated_at: 1,
  };
}

const change = () => ({ ...secret(), issuer: 'portcullis', prefix: 'pcg', source: 'generated' as const, previous: null });

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => err instanceof PortcullisError && err.code === code);
}

for (const dialect of DIALECTS) {
  describe(`API-key DAO writes on ${dialect}`, () => {
    let database: TestDatabase;
    let store: Store;
    let consumerId: string;
    const committed: ClusterEvent[] = [];

    before(async () => {
      database = await createTestDatabase(dialect);
      store = createStore({ cipher: TEST_CIPHER, config: database.config });
      assert.equal((await store.migrate()).error, undefined);
      consumerId = (await store.consumers.insert({ username: 'owner' })).id;
      store.onCommit((events) => committed.push(...events));
    });
    after(async () => {
      await store.close();
      await database.drop();
    });

    const row = (id: string) => store.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

    it('refuses to replace the secret of a key revoked since it was read (PC_STORE_CONFLICT), leaving it revoked', async () => {
      const read = await store.apiKeys.insert(newKey(consumerId, 'revoked-meanwhile'));
      assert.equal(await store.apiKeys.revoke(read, 2), true);
      await rejectsWith(store.apiKeys.replaceSecret(read, change(), 3), 'PC_STORE_CONFLICT');
      const after = await row(read.id);
      assert.equal(after.status, 'revoked');
      assert.equal(after.lookup, read.secret.lookup);
      assert.equal(after.cache_key, `revoked:${read.id}`);
    });

    it('refuses to replace a secret that another write replaced since it was read (PC_STORE_CONFLICT)', async () => {
      const read = await store.apiKeys.insert(newKey(consumerId, 'replaced-meanwhile'));
      const first = await store.apiKeys.replaceSecret(read, change(), 2);
      await rejectsWith(store.apiKeys.replaceSecret(read, change(), 3), 'PC_STORE_CONFLICT');
      assert.equal((await row(read.id)).lookup, first.secret.lookup);
    });

    it('writes only the secret and expiry columns: a stale copy of the other fields is not written back', async () => {
      const read = await store.apiKeys.insert(newKey(consumerId, 'columns'));
      const stale = { ...read, metadata: { team: 'stale' }, display_name: 'stale', name: 'renamed' };
      await store.apiKeys.replaceSecret(stale, { ...change(), expires_at: 999 }, 2);
      const after = await row(read.id);
      assert.equal(after.name, 'columns');
      assert.equal(after.display_name, null);
      assert.deepEqual(typeof after.metadata === 'string' ? JSON.parse(after.metadata) : after.metadata, { team: 'a' });
      assert.equal(Number(after.expires_at), 999);
    });

    it('names in the revoke event the public id the row holds, even when given an older read', async () => {
      const read = await store.apiKeys.insert(newKey(consumerId, 'event'));
      const replaced = await store.apiKeys.replaceSecret(read, change(), 2);
      const from = committed.length;
      assert.equal(await store.apiKeys.revoke(read, 3), true);
      const events = committed.slice(from).filter((e) => e.entity === 'api_keys');
      assert.deepEqual(
        events.map((e) => e.data?.['key_id']),
        [replaced.key_id],
      );
      assert.equal(await store.apiKeys.revoke(read, 4), false, 'a second revoke changes nothing and records no event');
      assert.equal(committed.length, from + 1);
    });

    it('takes row locks only inside store.transaction (outside, the lock would end at once)', async () => {
      await assert.rejects(store.apiKeys.lockActive({ service_id: null, consumer_id: consumerId }, 'event'), /must run inside store\.transaction/);
      await assert.rejects(store.apiKeys.lockOwner('consumers', consumerId), /must run inside store\.transaction/);
      assert.equal(await store.transaction(() => store.apiKeys.lockOwner('consumers', randomUUID())), false);
    });

    if (dialect === 'postgres') {
      it('makes a second writer of a locked key wait, then see the revoke the first committed (no row)', async () => {
        const other = createStore({ cipher: TEST_CIPHER, config: database.config });
        try {
          const owner = { service_id: null, consumer_id: consumerId };
          await store.apiKeys.insert(newKey(consumerId, 'locked'));
          let release!: () => void;
          const held = new Promise<void>((r) => (release = r));
          let locked!: () => void;
          const isLocked = new Promise<void>((r) => (locked = r));
          const first = store.transaction(async () => {
            const current = await store.apiKeys.lockActive(owner, 'locked');
            locked();
            await held;
            await store.apiKeys.revoke(current!, 5);
          });
          await isLocked;
          let seen: ApiKeyRecord | null | 'pending' = 'pending';
          const second = other.transaction(() => other.apiKeys.lockActive(owner, 'locked')).then((r) => (seen = r));
          await sleep(200);
          assert.equal(seen, 'pending', 'the second writer waits for the first');
          release();
          await first;
          await second;
          assert.equal(seen, null, 'and then sees the key revoked');
        } finally {
          await other.close();
        }
      });
    } else {
      it('holds the database write lock from BEGIN: another connection cannot write between a read and the write', async () => {
        const other = new SQLite(database.config.sqlite_path);
        try {
          other.pragma('busy_timeout = 0');
          let release!: () => void;
          const held = new Promise<void>((r) => (release = r));
          let locked!: () => void;
          const isLocked = new Promise<void>((r) => (locked = r));
          const first = store.transaction(async () => {
            await store.apiKeys.lockActive({ service_id: null, consumer_id: consumerId }, 'columns');
            locked();
            await held;
          });
          await isLocked;
          assert.throws(
            () => other.prepare('DELETE FROM api_keys WHERE name = ?').run('columns'),
            (err: { code?: string }) => err.code === 'SQLITE_BUSY',
          );
          release();
          await first;
          assert.equal(other.prepare('DELETE FROM api_keys WHERE name = ?').run('columns').changes, 1, 'and can once it commits');
        } finally {
          other.close();
        }
      });
    }
  });
}
