/**
 * What Kysely's SQLite driver is given as its database: the better-sqlite3 handle with a cache of
 * prepared statements by SQL text. The driver prepares every query it runs, and preparing costs
 * more than running the small queries of the request path (an uncached key's lookup) and a good
 * part of a bulk import's INSERT of 1,000 rows (the same text for every full batch). SQLite
 * re-prepares a cached statement itself after a schema change (sqlite3_prepare_v2 semantics).
 *
 * A statement still being iterated (a streamed select) is busy and cannot run again: a query whose
 * cached statement is busy gets a fresh one. Long texts are not cached, and the cache is bounded
 * (least recently used dropped first).
 */
import type { SqliteHandle } from './sqlite-binding.js';

type Statement = ReturnType<SqliteHandle['prepare']>;

/** The part of a database Kysely's SqliteDriver uses. */
export interface PreparingDatabase {
  prepare(sql: string): Statement;
  close(): void;
}

/** Statements kept; the queries Portcullis runs number a few hundred distinct texts. */
export const CACHED_STATEMENTS = 500;
/** Longer SQL is prepared each time (a one-off, such as a migration's DDL). */
export const CACHED_SQL_LENGTH = 200_000;

export function withStatementCache(sqlite: SqliteHandle, size = CACHED_STATEMENTS): PreparingDatabase {
  const statements = new Map<string, Statement>();
  return {
    prepare(sql) {
      const cached = statements.get(sql);
      if (cached !== undefined && !cached.busy) {
        // Most recently used last: Map order is insertion order.
        statements.delete(sql);
        statements.set(sql, cached);
        return cached;
      }
      const statement = sqlite.prepare(sql);
      if (cached === undefined && sql.length <= CACHED_SQL_LENGTH) {
        if (statements.size >= size) statements.delete(statements.keys().next().value!);
        statements.set(sql, statement);
      }
      return statement;
    },
    close() {
      statements.clear();
      sqlite.close();
    },
  };
}
