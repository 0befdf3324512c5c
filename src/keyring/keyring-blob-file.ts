/**
 * The files of the keyring that hold wrapped or private key material: the node's blob file
 * (`keyring_blob_path`, the keyring wrapped under `keyring_public_key`) and, through the helpers
 * below, the RSA key pair of the embedded default. Each is written whole and durably (a temp file
 * in the same folder, fsync, then rename or link, then fsync of the folder), mode 0600, in a
 * folder created 0700, so a crash or a concurrent reader never sees half a file.
 */
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { PortcullisError } from '../errors/portcullis-error.js';
import { MAX_WRAPPED_LENGTH } from './keyring-wrap.js';

/** The blob file's content, or null when there is none. Throws PC_KEYRING_NOT_CONFIGURED when it cannot be read. */
export function readBlobFile(path: string): string | null {
  let stat;
  try {
    stat = statSync(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw cannotRead(path, errnoCode(err), err);
  }
  if (!stat.isFile()) throw cannotRead(path, 'not a regular file');
  if (stat.size > MAX_WRAPPED_LENGTH) throw cannotRead(path, `${stat.size} bytes, more than a keyring blob can be`);
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw cannotRead(path, errnoCode(err), err);
  }
}

function cannotRead(path: string, why: string, cause?: unknown): PortcullisError {
  return new PortcullisError('PC_KEYRING_NOT_CONFIGURED', { message: `Cannot read the keyring blob file ${path} (${why})`, ...(cause ? { cause } : {}) });
}

/** Replaces the blob file atomically: readers see the old content or the new, never a mix. Throws PC_STORE_UNAVAILABLE when it cannot be written. */
export function writeBlobFile(path: string, data: string): void {
  let temp: string | null = null;
  try {
    ensurePrivateFolder(dirname(path));
    temp = writeSyncedTempFile(path, data);
    renameSync(temp, path);
    temp = null;
    syncFolder(dirname(path));
  } catch (err) {
    throw new PortcullisError('PC_STORE_UNAVAILABLE', {
      message: `Cannot write the keyring blob file ${path} (${errnoCode(err)}); the keyring change is not saved there`,
      cause: err,
    });
  } finally {
    if (temp !== null) unlinkQuietly(temp);
  }
}

/** Creates `folder` (and missing parents) with mode 0700; an existing folder keeps its mode. */
export function ensurePrivateFolder(folder: string): void {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
}

/**
 * Writes `data` to a new temp file beside `path` (mode 0600, fsynced) and returns its path. The
 * caller renames or links it into place and removes it on failure.
 */
export function writeSyncedTempFile(path: string, data: string): string {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    // The umask can only remove bits, but an inherited ACL or an odd umask must not widen them.
    fchmodSync(fd, 0o600);
    const bytes = Buffer.from(data, 'utf8');
    for (let written = 0; written < bytes.length;) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkQuietly(temp);
    throw err;
  }
  closeSync(fd);
  return temp;
}

/** Makes a rename or link in `folder` durable. */
export function syncFolder(folder: string): void {
  let fd: number;
  try {
    fd = openSync(folder, 'r');
  } catch (err) {
    // Some platforms (Windows) cannot open a folder; there the rename is as durable as it gets.
    if (['EISDIR', 'EPERM', 'EACCES'].includes(errnoCode(err))) return;
    throw err;
  }
  try {
    fsyncSync(fd);
  } catch (err) {
    if (!['EINVAL', 'EPERM', 'EBADF'].includes(errnoCode(err))) throw err;
  } finally {
    closeSync(fd);
  }
}

export function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone, or the folder became unwritable: nothing more to do for a temp file.
  }
}

export function errnoCode(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? 'unknown error';
}
