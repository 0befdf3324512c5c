/**
 * SQLite through better-sqlite3: WAL journal, foreign keys on, a busy timeout so a second
 * process (the CLI beside a running node) waits instead of failing, and write transactions that
 * lock the database from their first statement. The database folder is made 0700 and the
 * database file 0600: it holds hashes and configuration.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite, { type SqliteHandle } from './sqlite-binding.js';
import { Kysely, SqliteAdapter, SqliteDialect, type DialectAdapter, type Driver } from 'kysely';
import { PortcullisSqliteDriver } from './sqlite-driver.js';

/**
 * SQLite runs DDL inside transactions; Kysely's adapter says it does not (to be safe on every
 * driver), which would let a failed migration leave half a schema. With this flag the Migrator
 * runs the pending migrations and their bookkeeping in one transaction, as on PostgreSQL.
 */
class TransactionalDdlSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class PortcullisSqliteDialect extends SqliteDialect {
  readonly #sqlite: SqliteHandle;
  constructor(sqlite: SqliteHandle) {
    super({ database: sqlite });
    this.#sqlite = sqlite;
  }
  override createDriver(): Driver {
    return new PortcullisSqliteDriver(this.#sqlite);
  }
  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

/** The connection's `synchronous` setting (a write that lowers it for itself sets this back: cluster-nodes.ts). */
export const SQLITE_SYNCHRONOUS = 'full';

export interface SqliteOptions {
  /** A file path, or `:memory:` for a private in-memory database (tests). */
  readonly path: string;
}

export function createSqliteDatabase(options: SqliteOptions): Kysely<any> {
  const onDisk = options.path !== ':memory:';
  if (onDisk) mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
  const created = onDisk && !existsSync(options.path);
  const sqlite = new SQLite(options.path);
  if (created) chmodSync(options.path, 0o600);
  sqlite.pragma('journal_mode = WAL');
  // FULL: a commit is on disk (WAL synced) before the Admin API answers 2xx; NORMAL may lose the last commits on power loss.
  sqlite.pragma(`synchronous = ${SQLITE_SYNCHRONOUS}`);
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  return new Kysely<any>({ dialect: new PortcullisSqliteDialect(sqlite) });
}
