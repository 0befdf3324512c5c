import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import SQLite from './sqlite-binding.js';
import { CACHED_SQL_LENGTH, withStatementCache } from './statement-cache.js';
import { createSqliteDatabase } from './sqlite.js';

describe('withStatementCache', () => {
  it('prepares a text once and hands the same statement back, least recently used dropped past its size', () => {
    const raw = new SQLite(':memory:');
    let prepared = 0;
    const counting = new Proxy(raw, { get: (t, p) => (p === 'prepare' ? (s: string) => (prepared++, t.prepare(s)) : Reflect.get(t, p, t)) });
    const db = withStatementCache(counting, 2);
    const a = db.prepare('select 1');
    assert.equal(db.prepare('select 1'), a);
    db.prepare('select 2');
    db.prepare('select 1'); // most recent now: select 2 is the oldest
    db.prepare('select 3'); // evicts select 2
    assert.equal(prepared, 3);
    assert.equal(db.prepare('select 1'), a);
    db.prepare('select 2');
    assert.equal(prepared, 4, 'select 2 was prepared again');
    db.close();
    assert.equal(raw.open, false);
  });

  it('gives a fresh statement while the cached one is still being iterated, and never caches long texts', () => {
    const db = withStatementCache(new SQLite(':memory:'));
    const text = 'select value from json_each(?)';
    const first = db.prepare(text);
    const rows = first.iterate('[1,2,3]');
    rows.next();
    const second = db.prepare(text);
    assert.notEqual(second, first);
    assert.deepEqual(second.all('[4]'), [{ value: 4 }]);
    assert.deepEqual(
      [...rows].map((r) => (r as { value: number }).value),
      [2, 3],
    );
    assert.equal(db.prepare(text), first, 'the cached one is used again once free');
    const long = `select 1 /* ${'x'.repeat(CACHED_SQL_LENGTH)} */`;
    assert.notEqual(db.prepare(long), db.prepare(long));
    db.close();
  });

  it('keeps working through schema changes: a cached statement sees the new columns', async () => {
    const db = createSqliteDatabase({ path: ':memory:' });
    await sql`create table t (a integer)`.execute(db);
    await sql`insert into t values (1)`.execute(db);
    const read = () => sql<Record<string, number>>`select * from t`.execute(db);
    assert.deepEqual((await read()).rows, [{ a: 1 }]);
    await sql`alter table t add column b integer default 7`.execute(db);
    assert.deepEqual((await read()).rows, [{ a: 1, b: 7 }]);
    await sql`drop table t`.execute(db);
    await assert.rejects(read(), /no such table/);
    await db.destroy();
  });
});
