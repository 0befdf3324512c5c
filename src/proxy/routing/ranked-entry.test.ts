import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileEntry, compareEntries } from '../route-entry.js';
import { createEntityFactory } from '../testing/entities.js';
import { betterHit, insertByRank, rankEntries, type RankedEntry } from './ranked-entry.js';
import { seededRandom } from '../testing/seeded-random.js';

const make = createEntityFactory();

describe('rankEntries / insertByRank / betterHit', () => {
  const route = make.route({ name: 'two-regexes', paths: ['~/a', '~/b'] });
  const entries = [
    compileEntry(make.route({ paths: ['/x'] }), null, '/x'),
    compileEntry(route, null, '~/a'),
    compileEntry(route, null, '~/b'),
    compileEntry(make.route({ paths: ['/x/y'] }), null, '/x/y'),
    compileEntry(make.route({}), null, null),
  ];

  it('ranks by compareEntries, and entries that compare equal by compilation order', () => {
    assert.equal(compareEntries(entries[1]!, entries[2]!), 0);
    const ranked = rankEntries(entries);
    assert.deepEqual(
      ranked.map((r) => r.index),
      [3, 0, 1, 2, 4],
    );
    assert.deepEqual(
      ranked.map((r) => r.rank),
      [0, 1, 2, 3, 4],
    );
  });

  it('keeps a list in rank order whatever the order of insertion', () => {
    const ranked = rankEntries(entries);
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = seededRandom(seed);
      const shuffled = [...ranked].sort(() => random.next() - 0.5);
      const list: RankedEntry[] = [];
      for (const r of shuffled) insertByRank(list, r);
      assert.deepEqual(
        list.map((r) => r.rank),
        [0, 1, 2, 3, 4],
        `seed ${seed}`,
      );
    }
  });

  it('prefers the lower rank, and any hit over none', () => {
    const [first, second] = rankEntries(entries);
    const a = { ranked: first!, length: 1 };
    const b = { ranked: second!, length: 2 };
    assert.equal(betterHit(a, b), a);
    assert.equal(betterHit(b, a), a);
    assert.equal(betterHit(null, b), b);
    assert.equal(betterHit(b, null), b);
    assert.equal(betterHit(null, null), null);
  });
});
