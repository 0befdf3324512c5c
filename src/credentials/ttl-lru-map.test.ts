import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTtlLruMap } from './ttl-lru-map.js';

function setup(maxSize: number) {
  const clock = { now: 1_000 };
  const removed: string[] = [];
  const map = createTtlLruMap<string, number>({ now: () => clock.now, onRemove: (key) => removed.push(key) }, { maxSize });
  return { clock, removed, map };
}

describe('TtlLruMap', () => {
  it('returns a value until its expiry time, then forgets it and reports the removal', () => {
    const { clock, removed, map } = setup(10);
    map.set('a', 1, 2_000);
    clock.now = 1_999;
    assert.equal(map.get('a'), 1);
    clock.now = 2_000;
    assert.equal(map.get('a'), undefined);
    assert.equal(map.size, 0);
    assert.deepEqual(removed, ['a']);
  });

  it('evicts the least recently used entry when full, counting reads as use', () => {
    const { removed, map } = setup(3);
    map.set('a', 1, 9_999);
    map.set('b', 2, 9_999);
    map.set('c', 3, 9_999);
    assert.equal(map.get('a'), 1); // a is now the most recent; b the least
    map.set('d', 4, 9_999);
    assert.deepEqual(removed, ['b']);
    assert.equal(map.get('b'), undefined);
    assert.deepEqual([map.get('a'), map.get('c'), map.get('d')], [1, 3, 4]);
    assert.equal(map.size, 3);
  });

  it('replaces a value in place, reporting the old one, without evicting another entry', () => {
    const { removed, map } = setup(2);
    map.set('a', 1, 9_999);
    map.set('b', 2, 9_999);
    map.set('a', 10, 9_999);
    assert.deepEqual(removed, ['a']);
    assert.deepEqual([map.get('a'), map.get('b')], [10, 2]);
  });

  it('deletes one entry and clears all without reporting a clear', () => {
    const { removed, map } = setup(5);
    map.set('a', 1, 9_999);
    map.set('b', 2, 9_999);
    assert.equal(map.delete('a'), true);
    assert.equal(map.delete('a'), false);
    map.clear();
    assert.equal(map.size, 0);
    assert.deepEqual(removed, ['a']);
  });

  it('keeps the recency order through deletes of the oldest, newest and middle entries', () => {
    const { removed, map } = setup(3);
    for (const key of ['a', 'b', 'c']) map.set(key, 0, 9_999);
    map.delete('a'); // oldest
    map.delete('c'); // newest
    map.set('d', 0, 9_999);
    map.set('e', 0, 9_999);
    map.get('b');
    map.set('f', 0, 9_999); // full: d is now the least recently used
    assert.deepEqual(removed, ['a', 'c', 'd']);
    assert.equal(map.size, 3);
  });

  it('behaves like a simple reference LRU over 5,000 random operations', () => {
    const { clock, map } = setup(8);
    const reference: Array<{ key: string; value: number; expiresAt: number }> = []; // oldest first
    let seed = 42; // a 31-bit LCG, using its high bits (its low bits have short periods)
    const random = (n: number) => {
      seed = ((Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) & 0x7fffffff;
      return Math.floor((seed / 2 ** 31) * n);
    };
    for (let step = 0; step < 5_000; step += 1) {
      const key = `k${random(12)}`;
      const at = reference.findIndex((e) => e.key === key);
      const op = random(4);
      if (op === 0) {
        const expiresAt = clock.now + 1 + random(400);
        if (at !== -1) reference.splice(at, 1);
        else if (reference.length === 8) reference.shift();
        reference.push({ key, value: step, expiresAt });
        map.set(key, step, expiresAt);
      } else if (op === 1) {
        assert.equal(map.delete(key), at !== -1);
        if (at !== -1) reference.splice(at, 1);
      } else if (op === 2) {
        clock.now += random(5);
      } else {
        const entry = reference[at];
        let expected: number | undefined;
        if (entry !== undefined) {
          reference.splice(at, 1);
          if (clock.now < entry.expiresAt) {
            reference.push(entry);
            expected = entry.value;
          }
        }
        assert.equal(map.get(key), expected, `step ${step}`);
      }
      assert.equal(map.size, reference.length, `step ${step}`);
    }
  });

  it('keeps exact expiries across months of uptime: the base it counts from moves, entries keep their time', () => {
    const DAY = 86_400_000;
    const clock = { now: 1_800_000_000_123 };
    const map = createTtlLruMap<string, number>({ now: () => clock.now }, { maxSize: 100 });
    // Every 5 days for 90 days: an entry for 1 hour, and one for 11 days (near the 12-day limit,
    // which makes the base move once it is old enough).
    const live: { key: string; value: number; expiresAt: number }[] = [];
    for (let day = 0; day <= 90; day += 5) {
      clock.now = 1_800_000_000_123 + day * DAY + 17;
      for (const [key, expiresAt] of [
        [`h${day}`, clock.now + 3_600_000],
        [`d${day}`, clock.now + 11 * DAY + 1],
      ] as const) {
        map.set(key, day, expiresAt);
        live.push({ key, value: day, expiresAt });
      }
      const saved = clock.now;
      for (const { key, value, expiresAt } of live) {
        if (expiresAt <= saved) continue;
        clock.now = expiresAt - 1;
        assert.equal(map.get(key), value, `${key} present 1 ms before its expiry`);
      }
      clock.now = saved;
    }
    for (const { key, expiresAt } of live.filter((entry) => entry.expiresAt > clock.now)) {
      clock.now = expiresAt;
      assert.equal(map.get(key), undefined, `${key} gone at its expiry`);
      clock.now = expiresAt - 1; // the others expire later: look at each at its own time
    }
  });

  it('keeps an expiry more than 12 days ahead as 12 days (early is allowed), and Infinity or NaN never as forever', () => {
    const clock = { now: 5_000 };
    const map = createTtlLruMap<string, number>({ now: () => clock.now }, { maxSize: 10 });
    map.set('far', 1, clock.now + 30 * 86_400_000);
    map.set('forever', 2, Infinity);
    map.set('nan', 3, NaN);
    assert.equal(map.get('nan'), undefined, 'NaN is no expiry: gone at once');
    clock.now += 2 ** 30 - 2;
    assert.equal(map.get('far'), 1);
    assert.equal(map.get('forever'), 2);
    clock.now += 1;
    assert.equal(map.get('far'), undefined);
    assert.equal(map.get('forever'), undefined);
  });

  it('refuses a size below one', () => {
    assert.throws(() => createTtlLruMap({ now: Date.now }, { maxSize: 0 }), RangeError);
  });
});
