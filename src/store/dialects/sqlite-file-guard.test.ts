/**
 * The SQLite file guard: a file deleted, replaced or made read-only under an open descriptor is
 * noticed, as root too (tests here may run as root, which passes `access(W_OK)` whatever the mode).
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, closeSync, mkdtempSync, openSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteFileGuard } from './sqlite-file-guard.js';
import { databaseErrorFields } from '../store-errors.js';

interface Case {
  readonly name: string;
  /** Changes the file at `path` (still held open, as SQLite holds it). */
  readonly act: (path: string, dir: string) => void;
  readonly expected: null | { readonly code: string; readonly cause: string; readonly says: RegExp };
}

const CASES: readonly Case[] = [
  { name: 'an untouched file', act: () => {}, expected: null },
  { name: 'a file written to', act: (p) => writeFileSync(p, 'more', { flag: 'a' }), expected: null },
  { name: 'a write-only file (0200)', act: (p) => chmodSync(p, 0o200), expected: null },
  { name: 'a deleted file', act: (p) => unlinkSync(p), expected: { code: 'PC_STORE_UNAVAILABLE', cause: 'DB_FILE_DELETED', says: /was deleted/ } },
  {
    name: 'a file moved away',
    act: (p, d) => renameSync(p, join(d, 'elsewhere.db')),
    expected: { code: 'PC_STORE_UNAVAILABLE', cause: 'DB_FILE_DELETED', says: /was deleted/ },
  },
  {
    name: 'a file replaced by a rename',
    act: (p, d) => {
      writeFileSync(join(d, 'other.db'), 'other');
      renameSync(join(d, 'other.db'), p);
    },
    expected: { code: 'PC_STORE_UNAVAILABLE', cause: 'DB_FILE_REPLACED', says: /was replaced by another file/ },
  },
  {
    name: 'a file deleted and created again',
    act: (p) => {
      unlinkSync(p);
      writeFileSync(p, 'new');
    },
    expected: { code: 'PC_STORE_UNAVAILABLE', cause: 'DB_FILE_REPLACED', says: /was replaced by another file/ },
  },
  { name: 'a file made 0400', act: (p) => chmodSync(p, 0o400), expected: { code: 'PC_STORE_READ_ONLY', cause: 'DB_FILE_READ_ONLY', says: /is read-only/ } },
  { name: 'a file made 0444', act: (p) => chmodSync(p, 0o444), expected: { code: 'PC_STORE_READ_ONLY', cause: 'DB_FILE_READ_ONLY', says: /is read-only/ } },
  { name: 'a file made 0000', act: (p) => chmodSync(p, 0o000), expected: { code: 'PC_STORE_READ_ONLY', cause: 'DB_FILE_READ_ONLY', says: /is read-only/ } },
];

describe('createSqliteFileGuard', () => {
  let dir: string;
  let path: string;
  let fd: number;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-guard-'));
    path = join(dir, 'portcullis.db');
    writeFileSync(path, 'db', { mode: 0o600 });
    // Held open like SQLite holds it: the inode of a deleted file cannot be reused meanwhile.
    fd = openSync(path, 'r+');
  });
  afterEach(() => {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(c.expected ? `refuses writes to ${c.name} with ${c.expected.code} naming the path` : `lets writes go to ${c.name}`, () => {
      const guard = createSqliteFileGuard(path);
      c.act(path, dir);
      const problem = guard.check();
      if (!c.expected) return assert.equal(problem, null);
      assert.ok(problem);
      assert.equal(problem.code, c.expected.code);
      assert.equal(problem.status, 503);
      assert.match(problem.message, c.expected.says);
      assert.ok(problem.message.includes(path), 'the message names the file');
      assert.equal(databaseErrorFields(problem).db_code, c.expected.cause);
    });
  }

  it('lets writes go again once a read-only file is writable again', () => {
    const guard = createSqliteFileGuard(path);
    chmodSync(path, 0o400);
    assert.equal(guard.check()?.code, 'PC_STORE_READ_ONLY');
    chmodSync(path, 0o600);
    assert.equal(guard.check(), null);
  });
});
