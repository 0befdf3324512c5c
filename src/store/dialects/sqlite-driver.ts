/**
 * Kysely's SQLite driver with one correction. SQLite rolls a transaction back by itself when a
 * statement fails with SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY or SQLITE_NOMEM; Kysely then sends
 * ROLLBACK, which fails with "cannot rollback - no transaction is active", and that error
 * replaces the real one: a full disk answered 500 instead of 503 PC_STORE_FULL. Rolling back
 * only a transaction that is still open keeps the database's own error.
 */
import type Database from 'better-sqlite3';
import { SqliteDriver, type DatabaseConnection } from 'kysely';

export class PortcullisSqliteDriver extends SqliteDriver {
  readonly #sqlite: Database.Database;

  constructor(sqlite: Database.Database) {
    super({ database: sqlite });
    this.#sqlite = sqlite;
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.#sqlite.inTransaction) await super.rollbackTransaction(connection);
  }
}
