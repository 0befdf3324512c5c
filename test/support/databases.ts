/**
 * Fresh databases for tests: a SQLite file in a temp folder, and a new database on the test
 * PostgreSQL (started by scripts/run-tests.mjs, or PORTCULLIS_TEST_PG_URL). `DIALECTS` lets one
 * suite run against both.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig } from '../../src/config/load-config.js';
import { createStore, type DatabaseConfig, type Store, type StoreOptions } from '../../src/store/store.js';
import type { DialectName } from '../../src/store/dialect.js';
import { TEST_CIPHER } from '../../src/store/testing/test-cipher.js';

export const DIALECTS: readonly DialectName[] = ['sqlite', 'postgres'];

export interface TestDatabase {
  readonly config: DatabaseConfig;
  /** Removes the database (file or PostgreSQL database). */
  drop(): Promise<void>;
}

const defaults = loadConfig({ env: {} });

export function testPgUrl(): string {
  const url = process.env['PORTCULLIS_TEST_PG_URL'];
  if (!url) throw new Error('PORTCULLIS_TEST_PG_URL is not set: run tests through `npm test` (scripts/run-tests.mjs starts PostgreSQL)');
  return url;
}

export async function createTestDatabase(dialect: DialectName): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-test-'));
    return {
      config: { ...defaults, database: 'sqlite', sqlite_path: join(dir, 'portcullis.db') },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const admin = new pg.Client({ connectionString: testPgUrl() });
  await admin.connect();
  const name = `portcullis_test_${randomBytes(6).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(testPgUrl());
  url.pathname = `/${name}`;
  // The data folder (keyring files) is the folder of sqlite_path, with PostgreSQL too: a temp one.
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-test-'));
  return {
    config: {
      ...defaults,
      sqlite_path: join(dir, 'unused.db'),
      database: 'postgres',
      pg_host: url.hostname,
      pg_port: Number(url.port || 5432),
      pg_user: decodeURIComponent(url.username),
      pg_password: decodeURIComponent(url.password),
      pg_database: name,
      pg_url: url.toString(),
    },
    async drop() {
      const c = new pg.Client({ connectionString: testPgUrl() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestStore {
  readonly store: Store;
  /** Closes the store and removes its database. */
  close(): Promise<void>;
}

/** A migrated store on a fresh database of `dialect`. */
export async function createTestStore(
  dialect: DialectName,
  options: Omit<StoreOptions, 'config' | 'cipher'> & Partial<Pick<StoreOptions, 'cipher'>> = {},
): Promise<TestStore> {
  const database = await createTestDatabase(dialect);
  const store = createStore({ cipher: TEST_CIPHER, ...options, config: database.config });
  const migrated = await store.migrate();
  if (migrated.error) throw migrated.error;
  return {
    store,
    async close() {
      await store.close();
      await database.drop();
    },
  };
}
