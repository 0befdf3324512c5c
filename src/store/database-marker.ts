/**
 * The marker beside a SQLite database (`portcullis.db.marker`, mode 0600): a small JSON file that
 * says a database was created at this path. SQLite creates a missing database file on open, so
 * without it a node whose file was lost (a wrong volume mounted, a cleanup job, a restore gone
 * wrong) would start on an empty database and answer as if nothing had ever been configured.
 * With it, every command that opens the store refuses instead, and says how to go on.
 *
 * PostgreSQL has no marker: a node never creates a PostgreSQL database, so a missing one already
 * stops it at start (docs/operations.md says what a recreated, empty database means).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PortcullisError } from '../errors/portcullis-error.js';

/** What the marker records. `created_at` is null for a database that predates its marker. */
export interface DatabaseMarker {
  readonly database_id: string;
  readonly path: string;
  readonly created_at: string | null;
  readonly marked_at: string;
}

export function markerPath(databasePath: string): string {
  return `${databasePath}.marker`;
}

/**
 * Throws PC_STORE_UNAVAILABLE when the marker exists but the database file does not. Call it
 * before opening the database, which would create an empty file.
 */
export function refuseMissingDatabase(databasePath: string): void {
  const marker = markerPath(databasePath);
  if (existsSync(databasePath) || !existsSync(marker)) return;
  const recorded = readMarker(marker);
  const when = recorded?.created_at
    ? `created there at ${recorded.created_at}`
    : recorded
      ? `in use there since at least ${recorded.marked_at}`
      : 'created there earlier (the marker is unreadable)';
  throw new PortcullisError('PC_STORE_UNAVAILABLE', {
    message:
      `The database file ${databasePath} is missing, but ${marker} records that database ${recorded?.database_id ?? '(unknown id)'} was ${when}; ` +
      `refusing to start on a new, empty database. Restore the file from a backup (or fix sqlite_path if the data folder moved); ` +
      `to start fresh with an empty database on purpose, delete ${marker}`,
  });
}

/**
 * Writes the marker if there is none. `created` says whether this open created the database
 * file (else it predates the marker). The exclusive create keeps a marker that another process
 * wrote first; a marker that cannot be written stops the caller, since without it the next
 * start could not tell a lost database from a new one.
 */
export function ensureDatabaseMarker(databasePath: string, created: boolean, now: Date = new Date()): void {
  const marker = markerPath(databasePath);
  if (existsSync(marker)) return;
  const content: DatabaseMarker = {
    database_id: randomUUID(),
    path: resolve(databasePath),
    created_at: created ? now.toISOString() : null,
    marked_at: now.toISOString(),
  };
  try {
    writeFileSync(marker, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw new PortcullisError('PC_STORE_UNAVAILABLE', {
      message: `Cannot write the database marker ${marker} (${(err as NodeJS.ErrnoException).code}); the data folder must be writable`,
      cause: err,
    });
  }
}

function readMarker(path: string): DatabaseMarker | null {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<DatabaseMarker>;
    return typeof parsed.database_id === 'string' && typeof parsed.marked_at === 'string'
      ? { database_id: parsed.database_id, path: String(parsed.path ?? ''), created_at: parsed.created_at ?? null, marked_at: parsed.marked_at }
      : null;
  } catch {
    return null;
  }
}
