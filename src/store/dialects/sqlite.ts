/**
 * SQLite through better-sqlite3: WAL journal, foreign keys on, a busy timeout so a second
 * process (the CLI beside a running node) waits instead of failing.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';

export interface SqliteOptions {
  /** A file path, or `:memory:` for a private in-memory database (tests). */
  readonly path: string;
}

export function createSqliteDatabase(options: SqliteOptions): Kysely<any> {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true, mode: 0o700 });
  const sqlite = new SQLite(options.path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  return new Kysely<any>({ dialect: new SqliteDialect({ database: sqlite }) });
}
