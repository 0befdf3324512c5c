import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from './seeded-random.js';

describe('seededRandom', () => {
  it('replays the same sequence for the same seed and a different one for another seed', () => {
    const draw = (seed: number) => Array.from({ length: 20 }, seededRandom(seed).next);
    assert.deepEqual(draw(7), draw(7));
    assert.notDeepEqual(draw(7), draw(8));
  });

  it('draws integers in [0, n) covering the whole range', () => {
    const random = seededRandom(1);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const n = random.int(5);
      assert.ok(Number.isInteger(n) && n >= 0 && n < 5, `${n}`);
      seen.add(n);
    }
    assert.equal(seen.size, 5);
  });
});
