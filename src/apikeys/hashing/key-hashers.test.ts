import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiKeysConfig } from '../../config/schema.js';
import { HASH_ALGORITHMS, type HashAlgorithm } from './key-hasher.js';
import { createKeyHasher, createKeyHashers, needsRehash } from './key-hashers.js';

const KEY = 'pcg_000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f90629556';

// Compile-time check: the config's algorithms and this registry's are the same set.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameAlgorithms: Same<HashAlgorithm, ApiKeysConfig['hash_algorithm']> = true;

describe('key hasher registry', () => {
  it('builds a hasher for every algorithm the config accepts', () => {
    assert.equal(sameAlgorithms, true);
    for (const algorithm of HASH_ALGORITHMS) assert.equal(createKeyHasher(algorithm).algorithm, algorithm);
  });

  it('verifies a key with the algorithm its record names, after the configured algorithm changed', async () => {
    const before = createKeyHashers('sha256');
    const stored = await before.current.hash(KEY);
    const after = createKeyHashers('argon2id');
    assert.equal(after.current.algorithm, 'argon2id');
    const hasher = after.hasherFor(stored.algorithm);
    assert.equal(hasher?.algorithm, 'sha256');
    assert.equal(await hasher?.verify(KEY, stored), true);
  });

  it('picks the bcrypt hasher for a bcrypt record whatever the current algorithm', async () => {
    const stored = await createKeyHasher('bcrypt', { bcryptCost: 12 }).hash(KEY);
    const hashers = createKeyHashers('none');
    assert.equal(await hashers.hasherFor(stored.algorithm)?.verify(KEY, stored), true);
  });

  it('returns null for an algorithm this build does not know, including prototype names', () => {
    const hashers = createKeyHashers('sha256');
    for (const name of ['md5', 'SHA256', '', '__proto__', 'constructor', 'toString']) assert.equal(hashers.hasherFor(name), null, name);
  });

  it('asks for a re-hash when the algorithm or its parameters changed, not otherwise', async () => {
    const sha = await createKeyHasher('sha256').hash(KEY);
    const bcrypt12 = await createKeyHasher('bcrypt', { bcryptCost: 12 }).hash(KEY);
    assert.equal(needsRehash(sha, 'sha256'), false);
    assert.equal(needsRehash(sha, 'argon2id'), true);
    assert.equal(needsRehash(bcrypt12, 'bcrypt', { bcryptCost: 12 }), false);
    assert.equal(needsRehash(bcrypt12, 'bcrypt', { bcryptCost: 13 }), true);
    assert.equal(needsRehash({ algorithm: 'none', salt: null, hash: KEY }, 'sha256'), true);
    assert.equal(createKeyHashers('bcrypt', { bcryptCost: 12 }).needsRehash(sha), true);
    assert.equal(createKeyHashers('bcrypt', { bcryptCost: 12 }).needsRehash(bcrypt12), false);
  });

  it('passes the salt source to sha256', async () => {
    const stored = await createKeyHasher('sha256', { randomBytes: (n) => new Uint8Array(n) }).hash(KEY);
    assert.equal(stored.salt, '00'.repeat(32));
  });

  it('refuses at build time a bcrypt cost the config schema would refuse', () => {
    assert.throws(() => createKeyHashers('sha256', { bcryptCost: 10 }), RangeError);
  });
});
