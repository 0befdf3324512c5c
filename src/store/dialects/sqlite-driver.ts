/**
 * Kysely's SQLite driver with two corrections.
 *
 * Transactions take the database's write lock at BEGIN (`BEGIN IMMEDIATE`), not at their first
 * write. A transaction that reads and then writes (counts a consumer's keys, then inserts; reads a
 * key, then replaces its secret) thus holds the lock over its reads: another process cannot commit
 * in between, so the check still holds when the write lands, and the upgrade from reader to writer
 * can no longer fail half-way (SQLITE_BUSY_SNAPSHOT). Waiting for the lock obeys busy_timeout.
 * Every transaction Portcullis opens writes, so none waits for nothing.
 *
 * SQLite rolls a transaction back by itself when a statement fails with SQLITE_FULL, SQLITE_IOERR,
 * SQLITE_BUSY or SQLITE_NOMEM; Kysely then sends ROLLBACK, which fails with "cannot rollback - no
 * transaction is active", and that error replaces the real one: a full disk answered 500 instead
 * of 503 PC_STORE_FULL. Rolling back only a transaction that is still open keeps the database's
 * own error.
 *
 * Queries run on prepared statements cached by their SQL text (statement-cache.ts).
 */
import type { SqliteHandle } from './sqlite-binding.js';
import { CompiledQuery, SqliteDriver, type DatabaseConnection } from 'kysely';
import { withStatementCache } from './statement-cache.js';

export class PortcullisSqliteDriver extends SqliteDriver {
  readonly #sqlite: SqliteHandle;

  constructor(sqlite: SqliteHandle) {
    super({ database: withStatementCache(sqlite) as unknown as SqliteHandle });
    this.#sqlite = sqlite;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  override async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    if (this.#sqlite.inTransaction) await super.rollbackTransaction(connection);
  }
}
