/**
 * The node's keyring blob file: absent is null, written whole with mode 0600 in a 0700 folder,
 * replaced atomically, and read or write failures are catalogued errors naming the path.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PortcullisError } from '../errors/portcullis-error.js';
import { readBlobFile, writeBlobFile } from './keyring-blob-file.js';
import { MAX_WRAPPED_LENGTH } from './keyring-wrap.js';

const root = mkdtempSync(join(tmpdir(), 'portcullis-blob-file-'));
let folders = 0;
const newFolder = () => join(root, `case-${++folders}`);
const mode = (path: string) => statSync(path).mode & 0o777;

after(() => rmSync(root, { recursive: true, force: true }));

function assertFails(fn: () => unknown, code: string, says: RegExp, label: string): void {
  assert.throws(fn, (err: unknown) => err instanceof PortcullisError && err.code === code && says.test(err.message), label);
}

describe('keyring blob file', () => {
  it('reads null when there is no file, or not even its folder', () => {
    const folder = newFolder();
    mkdirSync(folder);
    assert.equal(readBlobFile(join(folder, 'keyring.blob')), null);
    assert.equal(readBlobFile(join(folder, 'missing', 'keyring.blob')), null);
  });

  it('writes the data with mode 0600, making missing folders 0700, and reads it back', () => {
    const folder = join(newFolder(), 'data');
    const path = join(folder, 'keyring.blob');
    writeBlobFile(path, 'eyJmb3JtYXQiOi');
    assert.equal(readBlobFile(path), 'eyJmb3JtYXQiOi');
    assert.equal(mode(path), 0o600);
    assert.equal(mode(folder), 0o700);
    assert.equal(mode(join(folder, '..')), 0o700);
  });

  it('keeps 0600 whatever the umask, and replaces a file that was more open by a 0600 one', () => {
    const folder = newFolder();
    mkdirSync(folder);
    const path = join(folder, 'keyring.blob');
    writeFileSync(path, 'old');
    chmodSync(path, 0o644);
    const umask = process.umask(0);
    try {
      writeBlobFile(path, 'new');
    } finally {
      process.umask(umask);
    }
    assert.equal(mode(path), 0o600);
    assert.equal(readBlobFile(path), 'new');
  });

  it('replaces the file atomically: a reader that opened the old one reads it whole, a new reader the new one, and no temp file is left', () => {
    const folder = newFolder();
    const path = join(folder, 'keyring.blob');
    const old = 'o'.repeat(100_000);
    writeBlobFile(path, old);
    const inode = statSync(path).ino;
    const reader = openSync(path, 'r');
    try {
      writeBlobFile(path, 'n'.repeat(50_000));
      const buffer = Buffer.alloc(200_000);
      const read = readSync(reader, buffer, 0, buffer.length, 0);
      assert.equal(buffer.subarray(0, read).toString('utf8'), old, 'the open reader still sees the whole old file');
    } finally {
      closeSync(reader);
    }
    assert.notEqual(statSync(path).ino, inode, 'a new file was renamed in, not the old one rewritten');
    assert.equal(readBlobFile(path), 'n'.repeat(50_000));
    assert.deepEqual(readdirSync(folder), ['keyring.blob']);
  });

  it('refuses to read what is not a blob file with PC_KEYRING_NOT_CONFIGURED naming the path', () => {
    const folder = newFolder();
    mkdirSync(join(folder, 'a-folder.blob'), { recursive: true });
    writeFileSync(join(folder, 'huge.blob'), Buffer.alloc(MAX_WRAPPED_LENGTH + 1, 0x41));
    writeFileSync(join(folder, 'a-file'), 'x');
    const cases: [path: string, says: RegExp][] = [
      [join(folder, 'a-folder.blob'), /^Cannot read the keyring blob file \/.*a-folder\.blob \(not a regular file\)$/],
      [join(folder, 'huge.blob'), /huge\.blob \(1048577 bytes, more than a keyring blob can be\)$/],
      [join(folder, 'a-file', 'keyring.blob'), /a-file\/keyring\.blob \(ENOTDIR\)$/],
    ];
    for (const [path, says] of cases) assertFails(() => readBlobFile(path), 'PC_KEYRING_NOT_CONFIGURED', says, path);
  });

  it('fails to write with PC_STORE_UNAVAILABLE naming the path, leaving the old file and no temp file', () => {
    const folder = newFolder();
    mkdirSync(join(folder, 'taken.blob'), { recursive: true });
    writeFileSync(join(folder, 'taken.blob', 'inside'), 'x');
    writeFileSync(join(folder, 'a-file'), 'x');
    const cases: [path: string, says: RegExp][] = [
      [join(folder, 'taken.blob'), /^Cannot write the keyring blob file \/.*taken\.blob \((EISDIR|ENOTEMPTY|EEXIST)\); the keyring change is not saved there$/],
      [join(folder, 'a-file', 'keyring.blob'), /a-file\/keyring\.blob \((ENOTDIR|EEXIST)\)/],
    ];
    for (const [path, says] of cases) assertFails(() => writeBlobFile(path, 'data'), 'PC_STORE_UNAVAILABLE', says, path);
    assert.deepEqual(readdirSync(folder).sort(), ['a-file', 'taken.blob']);
    assert.deepEqual(readdirSync(join(folder, 'taken.blob')), ['inside']);
    assert.equal(readFileSync(join(folder, 'a-file'), 'utf8'), 'x');
  });
});
