/**
 * PostgreSQL through node-postgres: a bounded pool, 64-bit integers read as numbers (our
 * int8 columns hold epoch times and event ids, far below 2^53).
 */
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';

export interface PostgresOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly ssl: boolean;
  readonly maxConnections: number;
  /** A full connection string; wins over the fields above when set (tests). */
  readonly connectionString?: string;
}

const INT8_OID = 20;

export function createPostgresDatabase(options: PostgresOptions): Kysely<any> {
  const types = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === INT8_OID) return (value: string) => Number(value);
      return pg.types.getTypeParser(oid, format);
    },
  };
  const pool = new pg.Pool({
    ...(options.connectionString
      ? { connectionString: options.connectionString }
      : { host: options.host, port: options.port, user: options.user, password: options.password, database: options.database }),
    ssl: options.ssl ? { rejectUnauthorized: true } : false,
    max: options.maxConnections,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
    types,
  });
  // An idle client losing its connection must not crash the node: the next query reports it.
  pool.on('error', () => {});
  // Nor a checked-out client between two queries (inside a transaction): the pool listens only
  // to idle ones. Its next query fails ("not queryable": PC_STORE_UNAVAILABLE) and the pool drops it.
  pool.on('connect', (client) => client.on('error', () => {}));
  return new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
}
