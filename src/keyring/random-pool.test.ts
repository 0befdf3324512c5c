import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomNonce } from './random-pool.js';

describe('randomNonce', () => {
  it('hands out every byte once: 20,000 nonces across many pool refills are distinct and not all-zero', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const nonce = randomNonce(i % 3 === 0 ? 12 : i % 3 === 1 ? 16 : 32);
      assert.equal(nonce.length, i % 3 === 0 ? 12 : i % 3 === 1 ? 16 : 32);
      const hex = nonce.toString('hex');
      assert.ok(!seen.has(hex), `nonce ${i} repeats`);
      assert.ok(/[^0]/.test(hex), `nonce ${i} is zero`);
      seen.add(hex);
    }
  });

  it('returns buffers the caller owns: changing one changes no other, nor what comes next', () => {
    const a = randomNonce(12);
    const copy = Buffer.from(a);
    const b = randomNonce(12);
    a.fill(0xff);
    assert.notDeepEqual(b, Buffer.alloc(12, 0xff));
    assert.notDeepEqual(copy, b);
    const c = randomNonce(12);
    assert.notDeepEqual(c, Buffer.alloc(12, 0xff));
  });

  it('refuses sizes outside 1 to 256 bytes', () => {
    for (const size of [0, -1, 257, 1.5, Number.NaN]) assert.throws(() => randomNonce(size), RangeError, String(size));
  });

  it('spreads its bits evenly (a broken source would not)', () => {
    const bytes = Buffer.concat(Array.from({ length: 4000 }, () => randomNonce(16)));
    let ones = 0;
    for (const byte of bytes) for (let bit = 0; bit < 8; bit++) ones += (byte >> bit) & 1;
    const share = ones / (bytes.length * 8);
    assert.ok(share > 0.49 && share < 0.51, `share of one bits ${share}`);
  });
});
