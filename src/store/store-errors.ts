/**
 * Maps driver errors (better-sqlite3, node-postgres) to catalogue errors. Messages name the
 * entity and field, never the value (a unique value could be a secret's digest).
 */
import { PortcullisError } from '../errors/portcullis-error.js';

interface DriverError {
  code?: string;
  message?: string;
  constraint?: string;
  table?: string;
  detail?: string;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EPIPE',
  'SQLITE_BUSY',
  'SQLITE_CANTOPEN',
  'SQLITE_IOERR',
]);

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
  if (
    CONNECTION_CODES.has(code) ||
    code.startsWith('08') ||
    code === '57P01' ||
    code === '57P03' ||
    /timeout exceeded when trying to connect|Connection terminated/i.test(e.message ?? '')
  ) {
    return new PortcullisError('PC_STORE_UNAVAILABLE', { cause: err });
  }
  return err;
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
