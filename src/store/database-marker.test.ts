/**
 * The database marker: written beside every SQLite database, and a missing database whose
 * marker remains stops every opener before SQLite would create an empty file.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/load-config.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import { ensureDatabaseMarker, markerPath, refuseMissingDatabase } from './database-marker.js';
import { createStore } from './store.js';
import { TEST_CIPHER } from './testing/test-cipher.js';

describe('database marker', () => {
  let dir: string;
  let db: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-marker-'));
    db = join(dir, 'portcullis.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const refusal = (): PortcullisError => {
    try {
      refuseMissingDatabase(db);
    } catch (err) {
      assert.ok(err instanceof PortcullisError);
      return err;
    }
    assert.fail('expected a refusal');
  };

  describe('writing', () => {
    it('records a new database with its id and creation time, mode 0600', () => {
      writeFileSync(db, '');
      ensureDatabaseMarker(db, true, new Date('2026-01-02T03:04:05.000Z'));
      const marker = JSON.parse(readFileSync(markerPath(db), 'utf8'));
      assert.match(marker.database_id, /^[0-9a-f-]{36}$/);
      assert.equal(marker.created_at, '2026-01-02T03:04:05.000Z');
      assert.equal(marker.path, db);
      assert.equal(statSync(markerPath(db)).mode & 0o777, 0o600);
    });

    it('records a database that predates the marker without a creation time', () => {
      writeFileSync(db, '');
      ensureDatabaseMarker(db, false, new Date('2026-01-02T03:04:05.000Z'));
      const marker = JSON.parse(readFileSync(markerPath(db), 'utf8'));
      assert.equal(marker.created_at, null);
      assert.equal(marker.marked_at, '2026-01-02T03:04:05.000Z');
    });

    it('keeps an existing marker', () => {
      writeFileSync(db, '');
      ensureDatabaseMarker(db, true);
      const first = readFileSync(markerPath(db), 'utf8');
      ensureDatabaseMarker(db, false);
      assert.equal(readFileSync(markerPath(db), 'utf8'), first);
    });
  });

  describe('checking', () => {
    it('lets a first start (no marker, no database) and a normal start (both) through', () => {
      refuseMissingDatabase(db);
      writeFileSync(db, '');
      ensureDatabaseMarker(db, true);
      refuseMissingDatabase(db);
    });

    it('refuses a missing database whose marker remains, saying what, since when, and how to go on', () => {
      writeFileSync(db, '');
      ensureDatabaseMarker(db, true, new Date('2026-01-02T03:04:05.000Z'));
      const id = JSON.parse(readFileSync(markerPath(db), 'utf8')).database_id;
      unlinkSync(db);
      const err = refusal();
      assert.equal(err.code, 'PC_STORE_UNAVAILABLE');
      for (const part of [`The database file ${db} is missing`, id, '2026-01-02T03:04:05.000Z', 'Restore the file from a backup', `delete ${markerPath(db)}`]) {
        assert.ok(err.message.includes(part), `message has ${part}: ${err.message}`);
      }
    });

    it('refuses too when the marker predates the creation record or is unreadable', () => {
      writeFileSync(markerPath(db), JSON.stringify({ database_id: 'abc', created_at: null, marked_at: '2026-01-02T03:04:05.000Z' }));
      assert.match(refusal().message, /in use there since at least 2026-01-02T03:04:05.000Z/);
      writeFileSync(markerPath(db), 'not json');
      assert.match(refusal().message, /the marker is unreadable/);
    });
  });

  describe('through createStore', () => {
    const config = () => ({ ...loadConfig({ env: {} }), database: 'sqlite' as const, sqlite_path: db });

    it('marks the database it creates, and refuses to recreate it once it is gone, leaving no empty file', async () => {
      const store = createStore({ cipher: TEST_CIPHER, config: config() });
      await store.migrate();
      await store.close();
      assert.ok(existsSync(markerPath(db)));
      for (const f of [db, `${db}-wal`, `${db}-shm`]) rmSync(f, { force: true });
      assert.throws(
        () => createStore({ cipher: TEST_CIPHER, config: config() }),
        (err: PortcullisError) => err.code === 'PC_STORE_UNAVAILABLE' && /is missing/.test(err.message),
      );
      assert.equal(existsSync(db), false, 'no empty database was created');
      unlinkSync(markerPath(db));
      const fresh = createStore({ cipher: TEST_CIPHER, config: config() });
      await fresh.migrate();
      assert.deepEqual((await fresh.services.list()).data, []);
      await fresh.close();
      assert.ok(existsSync(markerPath(db)), 'the fresh database has its own marker');
    });

    it('marks a database that predates markers when it opens it', async () => {
      const store = createStore({ cipher: TEST_CIPHER, config: config() });
      await store.close();
      unlinkSync(markerPath(db));
      await createStore({ cipher: TEST_CIPHER, config: config() }).close();
      assert.equal(JSON.parse(readFileSync(markerPath(db), 'utf8')).created_at, null);
    });

    it('writes no marker for an in-memory database', async () => {
      await createStore({ cipher: TEST_CIPHER, config: { ...config(), sqlite_path: ':memory:' } }).close();
      assert.equal(existsSync(':memory:.marker'), false);
    });
  });
});
