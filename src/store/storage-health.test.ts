/**
 * The store's storage state on real databases: a failed write degrades it, only a successful
 * probe write restores it, and a healthy store checks itself without writing.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync } from 'node:fs';
import { sql } from 'kysely';
import { PortcullisError } from '../errors/portcullis-error.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { databaseErrorFields } from './store-errors.js';
import { createStore, type Store } from './store.js';
import { TEST_CIPHER } from './testing/test-cipher.js';

async function openStore(dialect: 'sqlite' | 'postgres'): Promise<{ store: Store; database: TestDatabase; changes: (string | null)[] }> {
  const database = await createTestDatabase(dialect);
  // One PostgreSQL connection, so a session setting applies to every query of the store.
  const store = createStore({ cipher: TEST_CIPHER, config: { ...database.config, pg_max_connections: 1 } });
  await store.migrate();
  const changes: (string | null)[] = [];
  store.storage.onChange((problem) => changes.push(problem?.code ?? null));
  return { store, database, changes };
}

const rejectsWith = (promise: Promise<unknown>, code: string) => assert.rejects(promise, (err: unknown) => err instanceof PortcullisError && err.code === code);

/** Grows until SQLite answers SQLITE_FULL (a small row can still fit in a page with room). */
async function fillUp(store: Store): Promise<PortcullisError> {
  const pages = (await sql<{ page_count: number }>`pragma page_count`.execute(store.db)).rows[0]!.page_count;
  await sql.raw(`pragma max_page_count = ${pages}`).execute(store.db);
  for (let i = 0; i < 200; i++) {
    try {
      await store.consumers.insert({ username: `filler-${i}`, custom_id: `${i}-${'x'.repeat(200)}` });
    } catch (err) {
      return err as PortcullisError;
    }
  }
  assert.fail('the database never filled up');
}

describe('storage health on SQLite', () => {
  describe('a database that fills up (max_page_count)', () => {
    let ctx: Awaited<ReturnType<typeof openStore>>;
    before(async () => (ctx = await openStore('sqlite')));
    after(async () => {
      await ctx.store.close();
      await ctx.database.drop();
    });

    it('checks a healthy store without writing: with no room left for a probe, it still reports writable', async () => {
      const pages = (await sql<{ page_count: number }>`pragma page_count`.execute(ctx.store.db)).rows[0]!.page_count;
      await sql.raw(`pragma max_page_count = ${pages}`).execute(ctx.store.db);
      assert.equal(await ctx.store.storage.check(), null);
      await sql.raw('pragma max_page_count = 1073741823').execute(ctx.store.db);
    });

    it('answers PC_STORE_FULL carrying SQLITE_FULL, and stays degraded while the probe write fails', async () => {
      const err = await fillUp(ctx.store);
      assert.equal(err.code, 'PC_STORE_FULL');
      assert.equal(databaseErrorFields(err).db_code, 'SQLITE_FULL');
      const problem = await ctx.store.storage.check();
      assert.equal(problem?.code, 'PC_STORE_FULL');
      assert.equal(databaseErrorFields(problem!).db_code, 'SQLITE_FULL');
      assert.deepEqual(ctx.changes, ['PC_STORE_FULL']);
    });

    it('recovers once a probe write succeeds, leaving no trace of the probe', async () => {
      await sql.raw('pragma max_page_count = 1073741823').execute(ctx.store.db);
      assert.equal(await ctx.store.storage.check(), null);
      assert.deepEqual(ctx.changes, ['PC_STORE_FULL', null]);
      const tables = await sql<{ name: string }>`select name from sqlite_master where name like 'portcullis_storage_probe%'`.execute(ctx.store.db);
      assert.deepEqual(tables.rows, []);
      await ctx.store.consumers.insert({ username: 'after' });
    });
  });

  describe('a database file made read-only and writable again', () => {
    let ctx: Awaited<ReturnType<typeof openStore>>;
    before(async () => (ctx = await openStore('sqlite')));
    after(async () => {
      await ctx.store.close();
      await ctx.database.drop();
    });

    it('refuses writes and reports PC_STORE_READ_ONLY until the mode is restored and a probe succeeds', async () => {
      chmodSync(ctx.database.config.sqlite_path, 0o444);
      await rejectsWith(ctx.store.consumers.insert({ username: 'x' }), 'PC_STORE_READ_ONLY');
      assert.equal((await ctx.store.storage.check())?.code, 'PC_STORE_READ_ONLY');
      chmodSync(ctx.database.config.sqlite_path, 0o600);
      assert.equal(await ctx.store.storage.check(), null);
      await ctx.store.consumers.insert({ username: 'x' });
      assert.deepEqual(ctx.changes, ['PC_STORE_READ_ONLY', null]);
    });
  });
});

describe('storage health on PostgreSQL', () => {
  let ctx: Awaited<ReturnType<typeof openStore>>;
  before(async () => (ctx = await openStore('postgres')));
  after(async () => {
    await ctx.store.close();
    await ctx.database.drop();
  });

  it('checks a healthy store without writing: a session made read-only behind its back still reports writable', async () => {
    await sql`set session characteristics as transaction read only`.execute(ctx.store.db);
    assert.equal(await ctx.store.storage.check(), null);
  });

  it('answers PC_STORE_READ_ONLY carrying SQLSTATE 25006 and stays degraded while the probe fails', async () => {
    const err = await ctx.store.consumers.insert({ username: 'x' }).catch((e: PortcullisError) => e);
    assert.ok(err instanceof PortcullisError);
    assert.equal(err.code, 'PC_STORE_READ_ONLY');
    assert.equal(databaseErrorFields(err).db_code, '25006');
    assert.equal((await ctx.store.storage.check())?.code, 'PC_STORE_READ_ONLY');
    assert.deepEqual(ctx.changes, ['PC_STORE_READ_ONLY']);
  });

  it('recovers once the database takes writes again, leaving no probe table', async () => {
    await sql`set session characteristics as transaction read write`.execute(ctx.store.db);
    assert.equal(await ctx.store.storage.check(), null);
    const tables = await sql<{ n: number }>`select count(*)::int as n from pg_class where relname = 'portcullis_storage_probe'`.execute(ctx.store.db);
    assert.equal(tables.rows[0]!.n, 0);
    await ctx.store.consumers.insert({ username: 'x' });
    assert.deepEqual(ctx.changes, ['PC_STORE_READ_ONLY', null]);
  });
});
