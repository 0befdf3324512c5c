/**
 * Driver errors to catalogue codes: a table of SQLite extended result codes and PostgreSQL
 * SQLSTATEs, then the same mapping on errors a real SQLite file produces.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from './dialects/sqlite-binding.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import { databaseErrorFields, isStorageFailure, mapStoreError } from './store-errors.js';

const driverError = (code: string, message = `driver says ${code}`) => Object.assign(new Error(message), { code });

const STORAGE_CASES: readonly [string, string][] = [
  // SQLite: the disk or max_page_count is full
  ['SQLITE_FULL', 'PC_STORE_FULL'],
  // SQLite: the file, its folder or the connection refuses writes
  ['SQLITE_READONLY', 'PC_STORE_READ_ONLY'],
  ['SQLITE_READONLY_DBMOVED', 'PC_STORE_READ_ONLY'],
  ['SQLITE_READONLY_RECOVERY', 'PC_STORE_READ_ONLY'],
  ['SQLITE_READONLY_CANTLOCK', 'PC_STORE_READ_ONLY'],
  ['SQLITE_READONLY_DIRECTORY', 'PC_STORE_READ_ONLY'],
  // SQLite: the file is unusable
  ['SQLITE_IOERR', 'PC_STORE_UNAVAILABLE'],
  ['SQLITE_IOERR_WRITE', 'PC_STORE_UNAVAILABLE'],
  ['SQLITE_IOERR_FSYNC', 'PC_STORE_UNAVAILABLE'],
  ['SQLITE_IOERR_SHORT_READ', 'PC_STORE_UNAVAILABLE'],
  ['SQLITE_CORRUPT', 'PC_STORE_UNAVAILABLE'],
  ['SQLITE_CORRUPT_INDEX', 'PC_STORE_UNAVAILABLE'],
  ['SQLITE_NOTADB', 'PC_STORE_UNAVAILABLE'],
  ['SQLITE_CANTOPEN', 'PC_STORE_UNAVAILABLE'],
  ['SQLITE_CANTOPEN_ISDIR', 'PC_STORE_UNAVAILABLE'],
  ['SQLITE_BUSY', 'PC_STORE_UNAVAILABLE'],
  ['SQLITE_BUSY_SNAPSHOT', 'PC_STORE_UNAVAILABLE'],
  // PostgreSQL
  ['53100', 'PC_STORE_FULL'], // disk_full
  ['25006', 'PC_STORE_READ_ONLY'], // read_only_sql_transaction (a read-only database or a standby)
  ['53000', 'PC_STORE_UNAVAILABLE'], // insufficient_resources
  ['53200', 'PC_STORE_UNAVAILABLE'], // out_of_memory
  ['53300', 'PC_STORE_UNAVAILABLE'], // too_many_connections
  ['58000', 'PC_STORE_UNAVAILABLE'], // system_error
  ['58030', 'PC_STORE_UNAVAILABLE'], // io_error
  ['58P01', 'PC_STORE_UNAVAILABLE'], // undefined_file
  ['08006', 'PC_STORE_UNAVAILABLE'], // connection_failure
  ['08001', 'PC_STORE_UNAVAILABLE'], // sqlclient_unable_to_establish_sqlconnection
  ['57P01', 'PC_STORE_UNAVAILABLE'], // admin_shutdown
  ['57P02', 'PC_STORE_UNAVAILABLE'], // crash_shutdown
  ['57P03', 'PC_STORE_UNAVAILABLE'], // cannot_connect_now
  // the network under node-postgres
  ['ECONNREFUSED', 'PC_STORE_UNAVAILABLE'],
  ['ECONNRESET', 'PC_STORE_UNAVAILABLE'],
  ['ETIMEDOUT', 'PC_STORE_UNAVAILABLE'],
];

const UNMAPPED_CODES = ['SQLITE_ERROR', 'SQLITE_CONSTRAINT_CHECK', 'SQLITE_MISMATCH', '42P01', '22001', '23514', '57014', 'ERR_SOMETHING'];

describe('mapStoreError', () => {
  describe('storage failures: a 503 code naming the cause, the driver error kept as cause', () => {
    for (const [code, expected] of STORAGE_CASES) {
      it(`maps ${code} to ${expected}`, () => {
        const err = driverError(code);
        const mapped = mapStoreError(err, 'services');
        assert.ok(mapped instanceof PortcullisError);
        assert.equal(mapped.code, expected);
        assert.equal(mapped.status, 503);
        assert.equal(mapped.cause, err);
        assert.ok(isStorageFailure(mapped));
        assert.deepEqual(databaseErrorFields(mapped), { db_code: code, db_message: `driver says ${code}` });
      });
    }

    it('maps node-postgres connection losses without a code to PC_STORE_UNAVAILABLE', () => {
      for (const message of [
        'Connection terminated unexpectedly',
        'timeout exceeded when trying to connect',
        'Client has encountered a connection error and is not queryable',
        'Client was closed and is not queryable',
      ]) {
        const mapped = mapStoreError(new Error(message), 'services');
        assert.ok(mapped instanceof PortcullisError && mapped.code === 'PC_STORE_UNAVAILABLE', message);
      }
    });
  });

  describe('everything else', () => {
    for (const code of UNMAPPED_CODES) {
      it(`leaves ${code} as it is (a bug or bad SQL answers PC_INTERNAL, not 503)`, () => {
        const err = driverError(code);
        assert.equal(mapStoreError(err, 'services'), err);
      });
    }

    for (const code of ['40001', '40P01']) {
      it(`maps PostgreSQL ${code} (a concurrent transaction won) to 409 PC_STORE_CONFLICT`, () => {
        const mapped = mapStoreError({ code, message: 'could not serialize access' }, 'api_keys');
        assert.ok(mapped instanceof PortcullisError);
        assert.equal(mapped.code, 'PC_STORE_CONFLICT');
        assert.equal(mapped.status, 409);
      });
    }

    it('maps unique and foreign-key violations of both databases without the value', () => {
      for (const code of ['SQLITE_CONSTRAINT_UNIQUE', '23505']) {
        const mapped = mapStoreError(
          Object.assign(new Error('UNIQUE constraint failed: services.name'), { code, constraint: 'services_name_key' }),
          'services',
        ) as PortcullisError;
        assert.equal(mapped.code, 'PC_STORE_UNIQUE_VIOLATION');
        assert.equal(mapped.message, 'A services entity with this name already exists');
      }
      for (const code of ['SQLITE_CONSTRAINT_FOREIGNKEY', '23503']) {
        assert.equal((mapStoreError(driverError(code), 'routes') as PortcullisError).code, 'PC_STORE_FOREIGN_KEY_VIOLATION');
      }
    });

    it('passes PortcullisErrors and non-objects through', () => {
      const own = new PortcullisError('PC_NOT_FOUND');
      assert.equal(mapStoreError(own, 'services'), own);
      assert.equal(mapStoreError('text', 'services'), 'text');
      assert.equal(isStorageFailure(own), false);
    });
  });

  describe('databaseErrorFields', () => {
    it('finds the driver error under nested causes and cuts a long message', () => {
      const driver = driverError('SQLITE_IOERR_WRITE', 'x'.repeat(1000));
      const mapped = new PortcullisError('PC_STORE_UNAVAILABLE', { cause: new Error('wrapper', { cause: driver }) });
      const fields = databaseErrorFields(mapped);
      assert.equal(fields.db_code, 'SQLITE_IOERR_WRITE');
      assert.equal(fields.db_message?.length, 300);
    });

    it('answers nulls when there is no driver error', () => {
      assert.deepEqual(databaseErrorFields(new PortcullisError('PC_STORE_UNAVAILABLE')), { db_code: null, db_message: null });
    });
  });

  describe('on errors a real SQLite file raises', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-store-errors-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    const raise = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (err) {
        return err;
      }
      assert.fail('expected the statement to fail');
    };

    it('maps a write past max_page_count to PC_STORE_FULL', () => {
      const db = new SQLite(join(dir, 'full.db'));
      db.exec('create table t (x blob)');
      db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true })}`);
      const err = raise(() => db.prepare('insert into t values (randomblob(100000))').run());
      db.close();
      assert.equal((mapStoreError(err, 't') as PortcullisError).code, 'PC_STORE_FULL');
    });

    it('maps a write through a read-only connection to PC_STORE_READ_ONLY', () => {
      const path = join(dir, 'ro.db');
      new SQLite(path).exec('create table t (x)');
      const db = new SQLite(path, { readonly: true });
      const err = raise(() => db.prepare('insert into t values (1)').run());
      db.close();
      assert.equal((mapStoreError(err, 't') as PortcullisError).code, 'PC_STORE_READ_ONLY');
    });

    it('maps a file that is not a database to PC_STORE_UNAVAILABLE', () => {
      const path = join(dir, 'garbage.db');
      writeFileSync(path, Buffer.alloc(8192, 7));
      const db = new SQLite(path);
      const err = raise(() => db.prepare('select * from sqlite_master').all());
      db.close();
      const mapped = mapStoreError(err, 't') as PortcullisError;
      assert.equal(mapped.code, 'PC_STORE_UNAVAILABLE');
      assert.equal(databaseErrorFields(mapped).db_code, 'SQLITE_NOTADB');
    });
  });
});
