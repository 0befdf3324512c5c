/**
 * Maps driver errors (better-sqlite3, node-postgres) to catalogue errors. Messages name the
 * entity and field, never the value (a unique value could be a secret's digest).
 *
 * Storage failures get a code naming their cause: a full disk `PC_STORE_FULL`, a database that
 * refuses writes `PC_STORE_READ_ONLY`, anything else that makes the database unusable (I/O
 * errors, corruption, a lost connection) `PC_STORE_UNAVAILABLE`. All three are 503 and keep the
 * driver's error as `cause`, whose code (`SQLITE_FULL`, SQLSTATE `53100` …) the logs carry.
 */
import { PortcullisError } from '../errors/portcullis-error.js';
import type { ErrorCode } from '../errors/catalogue.js';

interface DriverError {
  code?: string;
  message?: string;
  constraint?: string;
  table?: string;
  detail?: string;
}

/** The codes a write answers when the storage itself fails (all 503). */
export type StorageFailureCode = 'PC_STORE_UNAVAILABLE' | 'PC_STORE_READ_ONLY' | 'PC_STORE_FULL';

const STORAGE_FAILURE_CODES: ReadonlySet<ErrorCode> = new Set<StorageFailureCode>(['PC_STORE_UNAVAILABLE', 'PC_STORE_READ_ONLY', 'PC_STORE_FULL']);

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EPIPE']);

/**
 * The storage failure a driver error code stands for, or null. SQLite codes are better-sqlite3's
 * extended result codes (`SQLITE_IOERR_WRITE`, `SQLITE_READONLY_DBMOVED` …), matched by their
 * primary code; PostgreSQL codes are SQLSTATEs.
 */
export function storageFailureOf(code: string): StorageFailureCode | null {
  if (code.startsWith('SQLITE_')) {
    const primary = /^SQLITE_[A-Z]+/.exec(code)![0];
    if (primary === 'SQLITE_FULL') return 'PC_STORE_FULL';
    if (primary === 'SQLITE_READONLY') return 'PC_STORE_READ_ONLY';
    // BUSY: another process held the write lock past busy_timeout; the rest: the file is unusable.
    if (['SQLITE_IOERR', 'SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CANTOPEN', 'SQLITE_BUSY', 'SQLITE_PROTOCOL'].includes(primary)) {
      return 'PC_STORE_UNAVAILABLE';
    }
    return null;
  }
  if (code === '53100') return 'PC_STORE_FULL'; // disk_full
  if (code === '25006') return 'PC_STORE_READ_ONLY'; // read_only_sql_transaction (also a hot standby)
  // 08: connection exceptions; 53: insufficient resources; 58: system errors (I/O);
  // 57P01-57P03: the server is shutting down, crashed or not accepting connections yet.
  if (/^(08|53|58)[0-9A-Z]{3}$/.test(code) || code === '57P01' || code === '57P02' || code === '57P03') return 'PC_STORE_UNAVAILABLE';
  if (NETWORK_CODES.has(code)) return 'PC_STORE_UNAVAILABLE';
  return null;
}

/** True for PC_STORE_UNAVAILABLE, PC_STORE_READ_ONLY and PC_STORE_FULL. */
export function isStorageFailure(err: unknown): err is PortcullisError & { readonly code: StorageFailureCode } {
  return err instanceof PortcullisError && STORAGE_FAILURE_CODES.has(err.code);
}

export function mapStoreError(err: unknown, entity: string): unknown {
  if (err instanceof PortcullisError || !err || typeof err !== 'object') return err;
  const e = err as DriverError;
  const code = e.code ?? '';
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505') {
    const field = uniqueField(e, entity);
    return new PortcullisError('PC_STORE_UNIQUE_VIOLATION', {
      message: field ? `A ${entity} entity with this ${field} already exists` : `A ${entity} entity with the same unique fields already exists`,
      fields: field ? [{ path: field, message: 'must be unique' }] : undefined,
      cause: err,
    });
  }
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503') {
    return new PortcullisError('PC_STORE_FOREIGN_KEY_VIOLATION', {
      message: `A ${entity} entity refers to an entity that does not exist, or is still referred to`,
      cause: err,
    });
  }
  if (code === '40001' || code === '40P01') {
    // serialization_failure, deadlock_detected: PostgreSQL aborted this transaction in favour of
    // a concurrent one; nothing of it was written, and the client may retry.
    return new PortcullisError('PC_STORE_CONFLICT', { message: `A concurrent write to ${entity} won; nothing was written, retry`, cause: err });
  }
  const failure = storageFailureOf(code);
  if (failure) return new PortcullisError(failure, { cause: err });
  // node-postgres reports a lost or refused connection, a query on a client that lost it, or a query past
  // pg_query_timeout (a hung server), without a code.
  if (/timeout exceeded when trying to connect|Connection terminated|is not queryable|Query read timeout/i.test(e.message ?? '')) {
    return new PortcullisError('PC_STORE_UNAVAILABLE', { cause: err });
  }
  return err;
}

/**
 * The database's own error behind a storage failure, for a log line: its code and message
 * (`SQLITE_FULL`, "database or disk is full"). Driver messages of these failures never quote
 * a value of the request; the message is cut at 300 characters all the same.
 */
export function databaseErrorFields(err: PortcullisError): { db_code: string | null; db_message: string | null } {
  let cause: unknown = err.cause;
  // The first cause with a code is the driver's (or the file guard's) error.
  for (let depth = 0; cause && typeof cause === 'object' && depth < 4; depth++) {
    const c = cause as DriverError & { cause?: unknown };
    if (typeof c.code === 'string') return { db_code: c.code, db_message: typeof c.message === 'string' ? c.message.slice(0, 300) : null };
    cause = c.cause;
  }
  return { db_code: null, db_message: null };
}

function uniqueField(e: DriverError, entity: string): string | null {
  // SQLite: "UNIQUE constraint failed: services.name"
  const sqlite = /UNIQUE constraint failed: ([a-z_]+)\.([a-z_]+)/.exec(e.message ?? '');
  if (sqlite) return publicName(sqlite[2]!);
  // PostgreSQL: constraint "services_name_key"
  if (e.constraint?.startsWith(`${entity}_`) && e.constraint.endsWith('_key')) {
    return publicName(e.constraint.slice(entity.length + 1, -4));
  }
  return null;
}

function publicName(column: string): string {
  if (column === 'cache_key') return '';
  return column.endsWith('_id') ? column.slice(0, -3) : column;
}
