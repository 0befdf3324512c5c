/**
 * How a CLI command opens the node's database (through the composition root's `openStoreParts`,
 * so it builds exactly what a node builds), and what it says when it cannot: which database it
 * looked for (the absolute SQLite path, or PostgreSQL's host, port, database and user, never the
 * password) and how to point it elsewhere. Only `migrate up` may create a database: every other
 * command refuses a missing one before anything is opened, so a read-only command never creates
 * the data folder (a typo in a path must not leave an empty node behind).
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import type { StoreParts } from '../node/store-parts.js';
import { isPortcullisError } from '../errors/portcullis-error.js';
import { refuseMissingDatabase } from '../store/database-marker.js';
import { CliFailure, EXIT } from './exit-codes.js';

export interface OpenDatabaseOptions {
  readonly config: Config;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  /** `require`: refuse pending migrations (exit 5); `skip`: the `migrate` commands. */
  readonly migrations: 'require' | 'skip';
  readonly openKeyring?: boolean;
  /** Only `migrate up`: create the database (and its folder) when there is none. */
  readonly create?: boolean;
}

/** The database the config names, for messages: an absolute SQLite path, or PostgreSQL without its password. */
export function databaseLocation(config: Config): string {
  if (config.database === 'sqlite') return `the SQLite database ${resolve(config.sqlite_path)}`;
  return `the PostgreSQL database "${config.pg_database}" on ${config.pg_host}:${config.pg_port} (user ${config.pg_user})`;
}

/** How to point the CLI at another database: the option and the configuration keys that name it. */
export function pointElsewhere(config: Config): string {
  const keys = config.database === 'sqlite' ? 'PORTCULLIS_SQLITE_PATH' : 'PORTCULLIS_PG_HOST, PORTCULLIS_PG_PORT, PORTCULLIS_PG_DATABASE, PORTCULLIS_PG_USER';
  const key = config.database === 'sqlite' ? 'sqlite_path' : 'pg_host, pg_port, pg_database, pg_user';
  return `give the node's configuration with --config <file> (${key}), or set ${keys}`;
}

/** Refuses, before anything is opened, a database or data folder that is not there. */
export function requireExistingDatabase(config: Config, needsDataFolder: boolean): void {
  if (config.database === 'sqlite') {
    if (config.sqlite_path === ':memory:' || existsSync(config.sqlite_path)) return;
    // A lost database file (its marker left behind) has its own message: restore it, do not start anew.
    refuseMissingDatabase(resolve(config.sqlite_path));
    throw new CliFailure(`no database at ${resolve(config.sqlite_path)} (sqlite_path): ${pointElsewhere(config)}`, EXIT.UNAVAILABLE);
  }
  // PostgreSQL: the data folder holds the default keyring files, which opening the keyring would make.
  const folder = resolve(dirname(config.sqlite_path));
  if (needsDataFolder && config.keyring_private_key === undefined && !existsSync(folder)) {
    throw new CliFailure(
      `no data folder at ${folder} (the folder of sqlite_path, which holds the keyring files): give the node's configuration with --config <file>, or set PORTCULLIS_SQLITE_PATH`,
      EXIT.UNAVAILABLE,
    );
  }
}

/** The failure to report for an error of the database itself (unreachable, unreadable); null for others. */
export function databaseFailure(config: Config, err: unknown): CliFailure | null {
  if (isPortcullisError(err) && !(err.code.startsWith('PC_STORE_') && err.status >= 500)) return null;
  if (err instanceof CliFailure) return null;
  // Our own store errors are written for operators; a driver's may be long: its first line, bounded.
  const reason = isPortcullisError(err)
    ? `${err.code}: ${err.message}`
    : String((err as Error).message)
        .split('\n')[0]!
        .slice(0, 500);
  return new CliFailure(`cannot use ${databaseLocation(config)}: ${reason}; ${pointElsewhere(config)}`, EXIT.UNAVAILABLE);
}

/** Opens the store parts for a command, refusing a missing database, pending migrations (exit 5) and an unreachable one (exit 3). */
export async function openDatabase(options: OpenDatabaseOptions): Promise<StoreParts> {
  const { config } = options;
  if (!options.create) requireExistingDatabase(config, options.openKeyring !== false);
  // Loaded here, not at the top: commands that talk to a running node never load the database drivers.
  const { openStoreParts, PendingMigrationsError } = await import('../node/store-parts.js');
  try {
    return await openStoreParts({
      config,
      env: options.env,
      logger: options.logger,
      migrations: options.migrations,
      ...(options.openKeyring === false ? { openKeyring: false } : {}),
    });
  } catch (err) {
    if (err instanceof PendingMigrationsError) throw new CliFailure(err.message, EXIT.PENDING_MIGRATIONS);
    throw databaseFailure(config, err) ?? err;
  }
}
