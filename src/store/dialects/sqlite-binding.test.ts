import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import SQLite, { SQLITE_BINDING } from './sqlite-binding.js';

const require = createRequire(import.meta.url);

describe('the better-sqlite3 build this Node runs', () => {
  it('is 13 (Node-API 10) where Node-API 10 exists, else 12', () => {
    const napi = Number(process.versions.napi);
    const { version } = require(`${SQLITE_BINDING}/package.json`) as { version: string };
    assert.equal(SQLITE_BINDING, napi >= 10 ? 'better-sqlite3-napi' : 'better-sqlite3');
    assert.equal(version.split('.')[0], napi >= 10 ? '13' : '12');
  });

  it('opens a database and finalises thousands of statements (12 aborted there on Node ≥ 24.19)', () => {
    const db = new SQLite(':memory:');
    db.exec('create table t (k integer primary key, v text)');
    for (let i = 0; i < 2_000; i++) db.prepare('insert into t (k, v) values (?, ?)').run(i, `v${i}`);
    (globalThis as { gc?: () => void }).gc?.();
    assert.deepEqual(db.prepare('select count(*) as n from t').get(), { n: 2_000 });
    db.close();
  });
});
