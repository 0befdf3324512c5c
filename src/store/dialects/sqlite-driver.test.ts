/**
 * The SQLite driver keeps the database's own error when SQLite has already rolled the
 * transaction back (SQLITE_FULL), instead of Kysely's failed ROLLBACK.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { createSqliteDatabase } from './sqlite.js';

describe('PortcullisSqliteDriver', () => {
  let dir: string;
  let db: Kysely<any>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-driver-'));
    db = createSqliteDatabase({ path: join(dir, 'd.db') });
    await sql`create table t (x blob)`.execute(db);
  });
  after(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports SQLITE_FULL from a transaction that SQLite rolled back itself, and the connection stays usable', async () => {
    const pages = (await sql<{ page_count: number }>`pragma page_count`.execute(db)).rows[0]!.page_count;
    await sql.raw(`pragma max_page_count = ${pages}`).execute(db);
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await sql`insert into t values (randomblob(100000))`.execute(trx);
      }),
      (err: { code?: string }) => err.code === 'SQLITE_FULL',
    );
    await sql.raw('pragma max_page_count = 1000000').execute(db);
    await db.transaction().execute(async (trx) => {
      await sql`insert into t values (randomblob(100000))`.execute(trx);
    });
    assert.equal((await sql<{ n: number }>`select count(*) as n from t`.execute(db)).rows[0]!.n, 1);
  });

  it('still rolls back an open transaction when the callback fails', async () => {
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        await sql`insert into t values (1)`.execute(trx);
        throw new Error('abort');
      }),
      /abort/,
    );
    assert.equal((await sql<{ n: number }>`select count(*) as n from t where x = 1`.execute(db)).rows[0]!.n, 0);
  });

  it('commits with synchronous = FULL, so a 2xx follows a synced commit', async () => {
    assert.equal((await sql<{ synchronous: number }>`pragma synchronous`.execute(db)).rows[0]!.synchronous, 2);
  });
});
