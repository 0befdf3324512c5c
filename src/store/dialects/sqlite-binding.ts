/**
 * The better-sqlite3 build this Node can run. better-sqlite3 12 compiles against Node's own
 * headers and aborts on Node ≥ 24.19 when a statement is finalised (a V8 cleanup-hook assertion);
 * 13 is built on Node-API 10, ships its binaries, and needs Node 22.14+ (on Node-API 9 it crashes
 * the process when loaded). So both are installed — 13 under the alias `better-sqlite3-napi` — and
 * the Node-API version decides which one is loaded. Every SQLite handle in the code and the tests
 * comes from here, so one process never mixes the two.
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

/** Node-API 10 arrived in Node 22.14 and 23.6; better-sqlite3 13 needs it. */
export const SQLITE_BINDING = Number(process.versions.napi) >= 10 ? 'better-sqlite3-napi' : 'better-sqlite3';

const require = createRequire(import.meta.url);

/** The better-sqlite3 `Database` constructor (12 or 13: the same API). */
const SQLite: typeof BetterSqlite3 = require(SQLITE_BINDING);
export default SQLite;

/** An open better-sqlite3 database. */
export type SqliteHandle = BetterSqlite3.Database;
