/**
 * The probe write that tells a degraded store it can take writes again. It runs only while a
 * write has failed for a storage reason (a healthy node never writes to check itself) and leaves
 * nothing behind: in one transaction that is always rolled back, it creates a scratch table and
 * writes 16 KiB of random bytes into it, so the database must allocate pages (SQLite:
 * `max_page_count`, a read-only file; PostgreSQL: extend a relation file, a read-only database).
 *
 * A rolled-back SQLite write may never reach the disk, so on SQLite the probe also asks the file
 * system for free space: a disk that filled up is not declared writable while it is still full.
 * On PostgreSQL the probe needs the CREATE privilege the node already uses for its migrations.
 */
import { randomBytes } from 'node:crypto';
import { statfsSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';
import { PortcullisError } from '../errors/portcullis-error.js';
import type { DialectName } from './dialect.js';
import { mapStoreError } from './store-errors.js';

const PROBE_BYTES = 16 * 1024;
/** Below this much free space the folder of a SQLite database counts as full. */
export const MIN_FREE_BYTES = 1024 * 1024;

export interface StorageProbeDeps {
  readonly db: Kysely<any>;
  readonly dialect: DialectName;
  /** The folder of the SQLite database file, when on disk. */
  readonly folder?: string;
  /** Free bytes for unprivileged writers in `folder` (tests replace it). */
  readonly freeBytes?: (folder: string) => number;
}

/** Resolves when a write would succeed now; throws the mapped storage error otherwise. */
export function createStorageProbe(deps: StorageProbeDeps): () => Promise<void> {
  const freeBytes = deps.freeBytes ?? freeBytesIn;
  const payloadType = deps.dialect === 'postgres' ? sql`bytea` : sql`blob`;
  return async () => {
    if (deps.folder !== undefined) {
      const free = freeBytes(deps.folder);
      if (free < MIN_FREE_BYTES) {
        throw new PortcullisError('PC_STORE_FULL', {
          message: `The file system holding ${deps.folder} has ${free} bytes free; nothing was written`,
          cause: Object.assign(new Error(`${free} bytes free in ${deps.folder}`), { code: 'ENOSPC' }),
        });
      }
    }
    try {
      await deps.db.transaction().execute(async (trx) => {
        await sql`create table portcullis_storage_probe (payload ${payloadType})`.execute(trx);
        await sql`insert into portcullis_storage_probe (payload) values (${randomBytes(PROBE_BYTES)})`.execute(trx);
        throw ROLLBACK;
      });
    } catch (err) {
      if (err !== ROLLBACK) throw mapStoreError(err, 'database');
    }
  };
}

const ROLLBACK = Symbol('rollback the probe');

function freeBytesIn(folder: string): number {
  const stats = statfsSync(folder);
  return stats.bavail * stats.bsize;
}
