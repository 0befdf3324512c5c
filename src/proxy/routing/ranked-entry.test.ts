import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileEntry, compareEntries } from '../route-entry.js';
import { createEntityFactory } from '../testing/entities.js';
import { betterHit, compareRanked, fillInBulk, insertRanked, visibleAt, type RankedEntry } from './ranked-entry.js';
import { rankEntries } from '../testing/ranked-entries.js';
import { seededRandom } from '../testing/seeded-random.js';

const make = createEntityFactory();

describe('rankEntries / insertRanked / fillInBulk / betterHit / visibleAt', () => {
  const route = make.route({ name: 'two-regexes', paths: ['~/a', '~/b'] });
  const entries = [
    compileEntry(make.route({ paths: ['/x'] }), null, '/x'),
    compileEntry(route, null, '~/a'),
    compileEntry(route, null, '~/b'),
    compileEntry(make.route({ paths: ['/x/y'] }), null, '/x/y'),
    compileEntry(make.route({}), null, null),
  ];

  it('orders by compareEntries, and entries that compare equal by compilation order', () => {
    assert.equal(compareEntries(entries[1]!, entries[2]!), 0);
    const ranked = rankEntries(entries);
    assert.deepEqual(
      ranked.map((r) => r.index),
      [3, 0, 1, 2, 4],
    );
    for (let i = 1; i < ranked.length; i++) assert.ok(compareRanked(ranked[i - 1]!, ranked[i]!) < 0, `entry ${i - 1} before ${i}`);
  });

  it('keeps a list in order whatever the order of insertion (binary search past the append)', () => {
    const ranked = rankEntries(entries);
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = seededRandom(seed);
      const shuffled = [...ranked].sort(() => random.next() - 0.5);
      const list: RankedEntry[] = [];
      for (const r of shuffled) insertRanked(list, r);
      assert.deepEqual(
        list.map((r) => (r as (typeof ranked)[number]).index),
        [3, 0, 1, 2, 4],
        `seed ${seed}`,
      );
    }
  });

  it('fills lists in bulk: appended in any order, each sorted once at the end', () => {
    const ranked = rankEntries(entries);
    const indexes = (list: RankedEntry[]) => list.map((r) => (r as (typeof ranked)[number]).index);
    for (const seed of [1, 2, 3, 4, 5]) {
      const random = seededRandom(seed);
      const shuffled = [...ranked].sort(() => random.next() - 0.5);
      const list: RankedEntry[] = [];
      const inOrder: RankedEntry[] = [];
      let during: number[] = [];
      fillInBulk(() => {
        for (const r of shuffled) insertRanked(list, r);
        for (const r of ranked) insertRanked(inOrder, r);
        during = indexes(list);
      });
      assert.deepEqual(during, indexes(shuffled), `seed ${seed}: appended as they came`);
      assert.deepEqual(indexes(list), [3, 0, 1, 2, 4], `seed ${seed}`);
      assert.deepEqual(indexes(inOrder), [3, 0, 1, 2, 4]);
    }
  });

  it('inserts in place again after a bulk fill, also one that threw', () => {
    const ranked = rankEntries(entries);
    assert.throws(
      () =>
        fillInBulk(() => {
          throw new Error('compile failed');
        }),
      /compile failed/,
    );
    const list: RankedEntry[] = [];
    for (const r of [...ranked].reverse()) insertRanked(list, r);
    assert.deepEqual(
      list.map((r) => (r as (typeof ranked)[number]).index),
      [3, 0, 1, 2, 4],
    );
  });

  it('prefers the hit tried first, and any hit over none', () => {
    const [first, second] = rankEntries(entries);
    const a = { ranked: first!, length: 1 };
    const b = { ranked: second!, length: 2 };
    assert.equal(betterHit(a, b), a);
    assert.equal(betterHit(b, a), a);
    assert.equal(betterHit(null, b), b);
    assert.equal(betterHit(b, null), b);
    assert.equal(betterHit(null, null), null);
  });

  const visibility: [number, number, number, boolean][] = [
    [0, Infinity, 0, true],
    [0, Infinity, 9, true],
    [3, Infinity, 2, false],
    [3, Infinity, 3, true],
    [0, 5, 4, true],
    [0, 5, 5, false],
    [5, 5, 5, false],
  ];
  for (const [added, removed, version, expected] of visibility) {
    it(`an entry added at ${added}, removed at ${removed}, is ${expected ? '' : 'not '}visible at version ${version}`, () => {
      assert.equal(visibleAt({ entry: entries[0]!, ordinal: 0, added, removed }, version), expected);
    });
  }
});
