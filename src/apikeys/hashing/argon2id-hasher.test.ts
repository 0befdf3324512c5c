import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hash as rawArgon2Hash, type Algorithm } from '@node-rs/argon2';
import { createArgon2idHasher } from './argon2id-hasher.js';

const KEY = 'pcg_000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f90629556';

describe('argon2id hasher', () => {
  const hasher = createArgon2idHasher();
  const storedPromise = hasher.hash(KEY);

  it("stores a PHC string with OWASP's parameters: 19456 KiB, 2 passes, 1 lane", async () => {
    const stored = await storedPromise;
    assert.equal(stored.algorithm, 'argon2id');
    assert.equal(stored.salt, null);
    assert.match(stored.hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  });

  it('verifies the key it stored and rejects another key', async () => {
    const stored = await storedPromise;
    assert.equal(await hasher.verify(KEY, stored), true);
    assert.equal(await hasher.verify(KEY.replace('0a', '0b'), stored), false);
    assert.equal(await hasher.verify(`${KEY.slice(0, -1)}7`, stored), false);
  });

  it('refuses argon2i and argon2d records: no downgrade through a stored record', async () => {
    for (const algorithm of [0, 1] as Algorithm[]) {
      const other = await rawArgon2Hash(KEY, { algorithm, memoryCost: 1024, timeCost: 1 });
      assert.equal(await hasher.verify(KEY, { algorithm: 'argon2id', salt: null, hash: other }), false);
    }
  });

  it('refuses, without hashing, a stored record asking for more than 64 MiB, 10 passes or 4 lanes', async () => {
    const stored = await storedPromise;
    for (const params of ['m=4194304,t=2,p=1', 'm=19456,t=1000,p=1', 'm=19456,t=2,p=64']) {
      assert.equal(await hasher.verify(KEY, { ...stored, hash: stored.hash.replace('m=19456,t=2,p=1', params) }), false, params);
    }
  });

  it('rejects, without throwing, a record of another algorithm or a damaged PHC string', async () => {
    const stored = await storedPromise;
    assert.equal(await hasher.verify(KEY, { ...stored, algorithm: 'bcrypt' }), false);
    assert.equal(await hasher.verify(KEY, { ...stored, hash: '$argon2id$garbage' }), false);
  });

  it('asks for a re-hash when the configured parameters differ from the stored ones', async () => {
    const stored = await storedPromise;
    assert.equal(hasher.needsRehash(stored), false);
    assert.equal(createArgon2idHasher({ timeCost: 3 }).needsRehash(stored), true);
    assert.equal(createArgon2idHasher({ memoryCost: 47_104, timeCost: 1 }).needsRehash(stored), true);
  });
});
