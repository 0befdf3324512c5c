import { afterEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createSha256Hasher } from './sha256-hasher.js';

const KEY = 'pcg_000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f90629556';
const OTHER = 'pcg_ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff00000000';
const sevens = (size: number) => new Uint8Array(size).fill(7);

describe('sha256 hasher', () => {
  afterEach(() => mock.restoreAll());

  it('stores SHA-256(salt ‖ key) in hex with a 32-byte salt (known-answer vector)', async () => {
    const stored = await createSha256Hasher({ randomBytes: sevens }).hash(KEY);
    assert.deepEqual(stored, {
      algorithm: 'sha256',
      salt: '07'.repeat(32),
      // Computed independently with Python's hashlib.
      hash: 'fa955d7bf73f44d04203b5d4d5d0fb1ceeb4216a3c11c7883fbd17ae622719c0',
    });
  });

  it('draws a fresh salt for every hash, so one key never gives the same record twice', async () => {
    const hasher = createSha256Hasher();
    const [a, b] = await Promise.all([hasher.hash(KEY), hasher.hash(KEY)]);
    assert.notEqual(a.salt, b.salt);
    assert.notEqual(a.hash, b.hash);
  });

  it('verifies the key it stored and rejects any other key', async () => {
    const hasher = createSha256Hasher();
    const stored = await hasher.hash(KEY);
    assert.equal(await hasher.verify(KEY, stored), true);
    assert.equal(await hasher.verify(OTHER, stored), false);
    assert.equal(await hasher.verify(KEY.slice(0, -1), stored), false);
    assert.equal(await hasher.verify('', stored), false);
  });

  it('compares digests with crypto.timingSafeEqual', async () => {
    const hasher = createSha256Hasher();
    const stored = await hasher.hash(KEY);
    const spy = mock.method(crypto, 'timingSafeEqual');
    await hasher.verify(OTHER, stored);
    await hasher.verify(KEY, stored);
    assert.equal(spy.mock.callCount(), 2);
  });

  it('rejects, without throwing, records of another algorithm or a damaged record', async () => {
    const hasher = createSha256Hasher();
    const stored = await hasher.hash(KEY);
    for (const record of [
      { ...stored, algorithm: 'none' },
      { ...stored, salt: null },
      { ...stored, salt: stored.salt!.slice(2) },
      { ...stored, hash: stored.hash.toUpperCase() },
      { ...stored, hash: stored.hash.slice(0, 62) },
    ]) {
      assert.equal(await hasher.verify(KEY, record), false, JSON.stringify(record));
    }
  });

  it('asks for a re-hash only for records that are not its own', async () => {
    const hasher = createSha256Hasher();
    const stored = await hasher.hash(KEY);
    assert.equal(hasher.needsRehash(stored), false);
    assert.equal(hasher.needsRehash({ algorithm: 'none', salt: null, hash: KEY }), true);
    assert.equal(hasher.needsRehash({ ...stored, salt: '07'.repeat(16) }), true);
  });
});
