/**
 * Checks that the SQLite database a node opened is still the file at its path, and writable.
 *
 * better-sqlite3 keeps its file descriptor: a database file deleted under a running node keeps
 * taking writes into an unlinked inode (lost when the node stops), a file moved in its place is
 * never seen, and a `chmod` or a read-only remount does not affect the open descriptor. SQLite
 * reports none of this, so the store asks before each write and at each readiness check: one
 * `stat` and one `access` call, a few microseconds, never on the proxy path.
 */
import { accessSync, constants, statSync, type BigIntStats } from 'node:fs';
import { PortcullisError } from '../../errors/portcullis-error.js';

/** What the guard found; `null` from `check()` means the file is still ours and writable. */
export type FileGuardCode = 'DB_FILE_DELETED' | 'DB_FILE_REPLACED' | 'DB_FILE_READ_ONLY' | 'DB_FILE_UNREADABLE';

export interface SqliteFileGuard {
  readonly path: string;
  /** The reason writes must be refused now, or null. Never throws. */
  check(): PortcullisError | null;
}

/** Remembers the identity (device, inode) of the file at `path`: call it right after opening. */
export function createSqliteFileGuard(path: string): SqliteFileGuard {
  const opened = statSync(path, { bigint: true });
  return {
    path,
    check() {
      let now: BigIntStats | undefined;
      try {
        now = statSync(path, { bigint: true, throwIfNoEntry: false });
      } catch (err) {
        // EACCES on the folder, ELOOP …: the path no longer leads to our file.
        return failure(
          'PC_STORE_UNAVAILABLE',
          'DB_FILE_UNREADABLE',
          `The database file ${path} cannot be checked (${(err as NodeJS.ErrnoException).code}); nothing was written`,
        );
      }
      if (!now) {
        return failure(
          'PC_STORE_UNAVAILABLE',
          'DB_FILE_DELETED',
          `The database file ${path} was deleted while the node ran; nothing was written. Stop the node, restore the file from a backup, and start it again`,
        );
      }
      if (now.ino !== opened.ino || now.dev !== opened.dev) {
        return failure(
          'PC_STORE_UNAVAILABLE',
          'DB_FILE_REPLACED',
          `The database file ${path} was replaced by another file while the node ran; nothing was written. Restart the node to use the file now at that path`,
        );
      }
      if (!writable(path, now)) {
        return failure(
          'PC_STORE_READ_ONLY',
          'DB_FILE_READ_ONLY',
          `The database file ${path} is read-only (its permissions or its file system); nothing was written`,
        );
      }
      return null;
    },
  };
}

/**
 * `access(W_OK)` covers ownership, permission bits for other users and read-only mounts (EROFS),
 * but root passes it whatever the mode. A file with no write bit at all is therefore read-only
 * too: an operator's `chmod a-w` means the same whether the node runs as root or not.
 */
function writable(path: string, stats: BigIntStats): boolean {
  if ((stats.mode & 0o222n) === 0n) return false;
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function failure(code: 'PC_STORE_UNAVAILABLE' | 'PC_STORE_READ_ONLY', cause: FileGuardCode, message: string): PortcullisError {
  return new PortcullisError(code, { message, cause: Object.assign(new Error(message), { code: cause }) });
}
