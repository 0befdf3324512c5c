import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hash as rawBcryptHash, verify as rawBcryptVerify } from '@node-rs/bcrypt';
import { createBcryptHasher } from './bcrypt-hasher.js';

// An 8-char prefix makes an 81-char key; these two differ only at char 80, past bcrypt's 72 bytes.
const KEY = 'abcd1234_000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f01234567';
const SAME_FIRST_72 = `${KEY.slice(0, -1)}8`;

describe('bcrypt hasher', () => {
  const hasher = createBcryptHasher({ cost: 12 });
  const storedPromise = hasher.hash(KEY);

  it('stores a $2b$ string with the configured cost and the salt inside it', async () => {
    const stored = await storedPromise;
    assert.equal(stored.algorithm, 'bcrypt');
    assert.equal(stored.salt, null);
    assert.match(stored.hash, /^\$2b\$12\$[./A-Za-z0-9]{53}$/);
  });

  it('verifies the key it stored and rejects another key', async () => {
    const stored = await storedPromise;
    assert.equal(await hasher.verify(KEY, stored), true);
    assert.equal(await hasher.verify(KEY.replace('0a', '0b'), stored), false);
  });

  it('tells apart two keys that differ only after byte 72, which bcrypt alone cannot', async () => {
    assert.equal(KEY.length, 81);
    // The problem the pre-hash solves: plain bcrypt ignores everything past byte 72.
    const plain = await rawBcryptHash(KEY, 4);
    assert.equal(await rawBcryptVerify(SAME_FIRST_72, plain), true);
    // With the SHA-256 pre-hash, the last char matters.
    assert.equal(await hasher.verify(SAME_FIRST_72, await storedPromise), false);
  });

  it('refuses, without running bcrypt, a stored record with a cost above 16', async () => {
    const stored = await storedPromise;
    assert.equal(await hasher.verify(KEY, { ...stored, hash: stored.hash.replace('$12$', '$31$') }), false);
  });

  it('rejects, without throwing, a record of another algorithm or a damaged string', async () => {
    const stored = await storedPromise;
    assert.equal(await hasher.verify(KEY, { ...stored, algorithm: 'argon2id' }), false);
    assert.equal(await hasher.verify(KEY, { ...stored, hash: 'not bcrypt' }), false);
    assert.equal(await hasher.verify(KEY, { ...stored, hash: stored.hash.slice(0, 40) }), false);
  });

  it('asks for a re-hash when the configured cost differs from the stored one', async () => {
    const stored = await storedPromise;
    assert.equal(hasher.needsRehash(stored), false);
    assert.equal(createBcryptHasher({ cost: 13 }).needsRehash(stored), true);
    assert.equal(hasher.needsRehash({ algorithm: 'sha256', salt: '00', hash: '00' }), true);
  });

  it('refuses at build time a cost below 12, above 16 or not an integer', () => {
    for (const cost of [4, 11, 17, 12.5, Number.NaN]) assert.throws(() => createBcryptHasher({ cost }), RangeError);
  });
});
