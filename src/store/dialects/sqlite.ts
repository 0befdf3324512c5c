/**
 * SQLite through better-sqlite3: WAL journal, foreign keys on, a busy timeout so a second
 * process (the CLI beside a running node) waits instead of failing, and write transactions that
 * lock the database from their first statement. The database folder is made 0700 and the
 * database file 0600: it holds hashes and configuration.
 */
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  SqliteAdapter,
  SqliteDialect,
  SqliteDriver,
  type DatabaseConnection,
  type DialectAdapter,
  type Driver,
  type SqliteDialectConfig,
} from 'kysely';

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

/**
 * Transactions take the database's write lock at BEGIN (`BEGIN IMMEDIATE`), not at their first
 * write. A transaction that reads and then writes (counts a consumer's keys, then inserts; reads a
 * key, then replaces its secret) thus holds the lock over its reads: another process cannot commit
 * in between, so the check still holds when the write lands, and the upgrade from reader to writer
 * can no longer fail half-way (SQLITE_BUSY_SNAPSHOT). Waiting for the lock obeys busy_timeout.
 * Every transaction Portcullis opens writes, so none waits for nothing.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class PortcullisSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;

  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }

  override createAdapter(): DialectAdapter {
    return new TransactionalDdlSqliteAdapter();
  }
}

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
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  return new Kysely<any>({ dialect: new PortcullisSqliteDialect({ database: sqlite }) });
}
