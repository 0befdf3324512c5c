import { afterEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { createNoneHasher, NONE_HASHER_WARNING } from './none-hasher.js';

const KEY = 'pcg_000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f90629556';

describe('none hasher (tests only)', () => {
  afterEach(() => mock.restoreAll());

  it('stores the key as it is, without salt', async () => {
    assert.deepEqual(await createNoneHasher().hash(KEY), { algorithm: 'none', salt: null, hash: KEY });
  });

  it('verifies the same key and rejects a different, shorter or longer one', async () => {
    const hasher = createNoneHasher();
    const stored = await hasher.hash(KEY);
    assert.equal(await hasher.verify(KEY, stored), true);
    assert.equal(await hasher.verify(KEY.replace('0a', '0b'), stored), false);
    assert.equal(await hasher.verify(KEY.slice(0, -1), stored), false);
    assert.equal(await hasher.verify(`${KEY}0`, stored), false);
  });

  it('compares in constant time through crypto.timingSafeEqual', async () => {
    const hasher = createNoneHasher();
    const spy = mock.method(crypto, 'timingSafeEqual');
    await hasher.verify('short', { algorithm: 'none', salt: null, hash: KEY });
    assert.equal(spy.mock.callCount(), 1);
  });

  it('never accepts a record of another algorithm, even one whose hash equals the key', async () => {
    assert.equal(await createNoneHasher().verify(KEY, { algorithm: 'sha256', salt: null, hash: KEY }), false);
  });

  it('exports a start-up warning that says plaintext and tests only', () => {
    assert.match(NONE_HASHER_WARNING, /plaintext/);
    assert.match(NONE_HASHER_WARNING, /tests only/);
  });
});
