/**
 * PostgreSQL through node-postgres: a bounded pool, 64-bit integers read as numbers (our
 * int8 columns hold epoch times and event ids, far below 2^53), and one dedicated LISTEN
 * connection outside the pool (a pooled client would be returned and lose its LISTEN).
 */
import type pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import { lazyModule } from '../../util/lazy-module.js';

/** node-postgres, loaded on first use: a node on SQLite never loads it (start-up time and memory). */
export const loadPg = lazyModule<typeof pg>('pg', 'a PostgreSQL database');

export interface PostgresOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /**
   * The password, or a function giving it for each new connection: `fresh` asks for it to be
   * fetched again (a vault reference), after the server refused the last one.
   */
  readonly password: string | ((fresh: boolean) => Promise<string>);
  readonly database: string;
  readonly ssl: boolean;
  readonly maxConnections: number;
  /** How long a new connection may take, in ms (default 5000). */
  readonly connectTimeout?: number;
  /** How long a query may take before it fails client-side, in ms (default: no limit). A hung server must not hang requests. */
  readonly queryTimeout?: number;
  /** A full connection string; wins over the fields above when set (tests). */
  readonly connectionString?: string;
}

const INT8_OID = 20;
/** SQLSTATE invalid_password: also what a wrong password for an existing role gets. */
const INVALID_PASSWORD = '28P01';

/** A LISTEN connection: notifications arrive until it ends (`onEnd`, once) or is closed. */
export interface PostgresListener {
  /** The server process id of the connection (what pg_stat_activity.pid shows). */
  readonly processId: number;
  close(): Promise<void>;
}

export interface PostgresListenerHandlers {
  onNotification(payload: string): void;
  /** The connection was lost (not called after close()). */
  onEnd(): void;
}

export interface PostgresDatabase {
  readonly db: Kysely<any>;
  /** Opens a new connection with the pool's settings and runs `LISTEN <channel>` on it. */
  listen(channel: string, handlers: PostgresListenerHandlers): Promise<PostgresListener>;
}

const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID) return (value: string) => Number(value);
    return loadPg().types.getTypeParser(oid, format);
  },
};

export function createPostgresDatabase(options: PostgresOptions): PostgresDatabase {
  const { password } = options;
  let refused = false;
  const passwordFor =
    typeof password === 'string'
      ? password
      : () => {
          const fresh = refused;
          refused = false;
          return password(fresh);
        };
  const settings = {
    ...(options.connectionString
      ? { connectionString: options.connectionString, ...(typeof password === 'string' ? {} : { password: passwordFor }) }
      : { host: options.host, port: options.port, user: options.user, password: passwordFor, database: options.database }),
    ssl: options.ssl ? { rejectUnauthorized: true } : false,
    connectionTimeoutMillis: options.connectTimeout ?? 5000,
    ...(options.queryTimeout !== undefined ? { query_timeout: options.queryTimeout } : {}),
    types,
  };
  const pool = new (loadPg().Pool)({ ...settings, max: options.maxConnections, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection must not crash the node: the next query reports it.
  pool.on('error', () => {});
  // Nor a checked-out client between two queries (inside a transaction): the pool listens only
  // to idle ones. Its next query fails ("not queryable": PC_STORE_UNAVAILABLE) and the pool drops it.
  pool.on('connect', (client) => client.on('error', () => {}));
  const listen = async (channel: string, handlers: PostgresListenerHandlers): Promise<PostgresListener> => {
    // TCP keepalive: a connection silently cut (no RST) is noticed instead of waiting for ever.
    const connect = async () => {
      const client = new (loadPg().Client)({ ...settings, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
      client.on('error', () => {}); // reported once through 'end'
      await client.connect();
      return client;
    };
    let client: pg.Client;
    try {
      client = await connect();
    } catch (err) {
      if ((err as { code?: string }).code !== INVALID_PASSWORD || typeof password === 'string') throw err;
      refused = true;
      client = await connect();
    }
    let closed = false;
    client.on('notification', (message) => {
      if (message.channel === channel) handlers.onNotification(message.payload ?? '');
    });
    client.on('end', () => {
      if (!closed) handlers.onEnd();
    });
    try {
      await client.query(`LISTEN ${loadPg().escapeIdentifier(channel)}`);
    } catch (err) {
      closed = true;
      await client.end().catch(() => {});
      throw err;
    }
    return {
      processId: (client as unknown as { processID: number }).processID,
      async close() {
        closed = true;
        await client.end().catch(() => {});
      },
    };
  };
  if (typeof password === 'string') return { db: new Kysely<any>({ dialect: new PostgresDialect({ pool }) }), listen };
  // Rotation on failure: a password the server refuses (28P01) is fetched again at once and the
  // connection tried once more, so a password rotated in the vault costs no failed query.
  const rotating = {
    async connect() {
      try {
        return await pool.connect();
      } catch (err) {
        if ((err as { code?: string }).code !== INVALID_PASSWORD) throw err;
        refused = true;
        return pool.connect();
      }
    },
    end: () => pool.end(),
  };
  return { db: new Kysely<any>({ dialect: new PostgresDialect({ pool: rotating }) }), listen };
}
