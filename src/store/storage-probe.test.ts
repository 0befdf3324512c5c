/**
 * The probe write: it leaves nothing behind, fails like a real write on a database that refuses
 * writes, and on SQLite also refuses a file system with almost no free space.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { PortcullisError } from '../errors/portcullis-error.js';
import { createTestStore } from '../../test/support/databases.js';
import { databaseErrorFields } from './store-errors.js';
import { MIN_FREE_BYTES, createStorageProbe } from './storage-probe.js';

describe('createStorageProbe', () => {
  for (const dialect of ['sqlite', 'postgres'] as const) {
    it(`succeeds on a healthy ${dialect} database and leaves no table or row behind`, async () => {
      const { store, close } = await createTestStore(dialect);
      try {
        const tablesBefore = (await store.db.introspection.getTables()).map((t) => t.name).sort();
        const probe = createStorageProbe({ db: store.db, dialect });
        await probe();
        await probe();
        assert.deepEqual((await store.db.introspection.getTables()).map((t) => t.name).sort(), tablesBefore);
      } finally {
        await close();
      }
    });
  }

  it('answers PC_STORE_FULL (ENOSPC) when the folder of a SQLite file has less than 1 MiB free, before writing', async () => {
    const { store, close } = await createTestStore('sqlite');
    try {
      for (const free of [0, 4096, MIN_FREE_BYTES - 1]) {
        const probe = createStorageProbe({ db: store.db, dialect: 'sqlite', folder: tmpdir(), freeBytes: () => free });
        await assert.rejects(probe(), (err: unknown) => {
          assert.ok(err instanceof PortcullisError);
          assert.equal(err.code, 'PC_STORE_FULL');
          assert.equal(databaseErrorFields(err).db_code, 'ENOSPC');
          assert.match(err.message, new RegExp(`${free} bytes free`));
          return true;
        });
      }
      await createStorageProbe({ db: store.db, dialect: 'sqlite', folder: tmpdir(), freeBytes: () => MIN_FREE_BYTES })();
      // The real file system of the test folder has room.
      await createStorageProbe({ db: store.db, dialect: 'sqlite', folder: tmpdir() })();
    } finally {
      await close();
    }
  });
});
