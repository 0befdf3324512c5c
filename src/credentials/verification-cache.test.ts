import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { createVerificationCache, type CachedKeyIdentity } from './verification-cache.js';

interface Verified extends CachedKeyIdentity {
  readonly issuer: string;
}

const KEY = 'pcg_000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f90629556';
const CONFIG = { cache_ttl: 300, neg_cache_ttl: 30, cache_size: 100, neg_cache_size: 100 };
const verified = (keyId: string, consumerId: string | null = 'c1', expiresAt: number | null = null): Verified => ({
  keyId,
  consumerId,
  expiresAt,
  issuer: 'portcullis',
});

function setup(config: Partial<typeof CONFIG> = {}) {
  const clock = { now: 1_700_000_000_000 };
  const cache = createVerificationCache<Verified>({ now: () => clock.now }, { ...CONFIG, ...config });
  return { clock, cache };
}

describe('verification cache', () => {
  it('finds entries by a keyed digest that is neither the key nor its plain SHA-256', () => {
    const { cache } = setup();
    const digest = cache.digest(KEY);
    assert.equal(digest, cache.digest(KEY));
    assert.notEqual(digest, cache.digest(`${KEY.slice(0, -1)}7`));
    assert.ok(!digest.includes(KEY.slice(4, 20)));
    const other = createVerificationCache<Verified>({}, CONFIG);
    assert.notEqual(other.digest(KEY), digest, 'each cache draws its own digest secret');
    cache.set(digest, verified('k1'));
    assert.doesNotMatch(inspect(cache, { depth: 10 }), /0001020304050607/);
  });

  it('returns a cached key until the cache TTL, then misses', () => {
    const { clock, cache } = setup();
    const digest = cache.digest(KEY);
    assert.deepEqual(cache.get(digest), { kind: 'miss' });
    assert.equal(cache.set(digest, verified('k1')), true);
    clock.now += 299_999;
    assert.deepEqual(cache.get(digest), { kind: 'hit', value: verified('k1') });
    clock.now += 1;
    assert.deepEqual(cache.get(digest), { kind: 'miss' });
  });

  it('reports a cached key as expired from its own expiry on, before the cache TTL ends', () => {
    const { clock, cache } = setup();
    const digest = cache.digest(KEY);
    cache.set(digest, verified('k1', 'c1', clock.now + 10_000));
    clock.now += 9_999;
    assert.equal(cache.get(digest).kind, 'hit');
    clock.now += 1;
    assert.equal(cache.get(digest).kind, 'expired');
  });

  it('honours a per-entry TTL and stores nothing with a TTL of 0', () => {
    const { clock, cache } = setup();
    const digest = cache.digest(KEY);
    assert.equal(cache.set(digest, verified('k1'), { ttlSeconds: 0 }), false);
    assert.equal(cache.get(digest).kind, 'miss');
    cache.set(digest, verified('k1'), { ttlSeconds: 5 });
    clock.now += 5_000;
    assert.equal(cache.get(digest).kind, 'miss');
    assert.equal(setup({ cache_ttl: 0 }).cache.set(digest, verified('k1')), false);
  });

  it('evicts the least recently used key when full', () => {
    const { cache } = setup({ cache_size: 100 });
    const digests = Array.from({ length: 101 }, (_, i) => cache.digest(`key-${i}`));
    digests.slice(0, 100).forEach((d, i) => cache.set(d, verified(`k${i}`)));
    cache.get(digests[0]!);
    cache.set(digests[100]!, verified('k100'));
    assert.equal(cache.size, 100);
    assert.equal(cache.get(digests[0]!).kind, 'hit');
    assert.equal(cache.get(digests[1]!).kind, 'miss');
    assert.equal(cache.deleteByKeyId('k1'), 0, 'the evicted entry left the key-id index too');
  });

  it('purges every entry of a key id (revoke, regenerate, delete) and only those', () => {
    const { cache } = setup();
    const [a, b, c] = [cache.digest('a'), cache.digest('b'), cache.digest('c')];
    cache.set(a, verified('k1'));
    cache.set(b, verified('k1')); // the old and new secret of a regenerated key
    cache.set(c, verified('k2'));
    assert.equal(cache.deleteByKeyId('k1'), 2);
    assert.deepEqual([cache.get(a).kind, cache.get(b).kind, cache.get(c).kind], ['miss', 'miss', 'hit']);
    assert.equal(cache.deleteByKeyId('k1'), 0);
  });

  it("purges every key of a consumer and leaves other consumers' and consumer-less keys", () => {
    const { cache } = setup();
    const [a, b, c, d] = [cache.digest('a'), cache.digest('b'), cache.digest('c'), cache.digest('d')];
    cache.set(a, verified('k1', 'c1'));
    cache.set(b, verified('k2', 'c1'));
    cache.set(c, verified('k3', 'c2'));
    cache.set(d, verified('k4', null));
    assert.equal(cache.deleteByConsumerId('c1'), 2);
    assert.deepEqual(
      [a, b, c, d].map((x) => cache.get(x).kind),
      ['miss', 'miss', 'hit', 'hit'],
    );
  });

  it('keeps the key-id index right as one digest becomes two and back (evictions included)', () => {
    const { cache } = setup({ cache_size: 2 });
    const [a, b, c] = [cache.digest('a'), cache.digest('b'), cache.digest('c')];
    cache.set(a, verified('k1'));
    cache.set(b, verified('k1')); // two digests of one key: the grace period of a regenerated key
    cache.set(c, verified('k2')); // evicts a (least recently used): k1 keeps b alone
    assert.equal(cache.get(a).kind, 'miss');
    assert.equal(cache.deleteByKeyId('k1'), 1, 'the evicted digest left the index, the other stayed');
    assert.equal(cache.get(b).kind, 'miss');
    cache.set(a, verified('k1'));
    assert.equal(cache.deleteByKeyId('k2'), 1);
    assert.equal(cache.deleteByKeyId('k1'), 1);
    assert.equal(cache.size, 0);
  });

  it('never holds more keys than cache_size, whatever is verified (api_keys.cache_size)', () => {
    const { cache } = setup({ cache_size: 100 });
    for (let i = 0; i < 1000; i++) cache.set(cache.digest(`key-${i}`), verified(`k${i}`, `c${i % 7}`));
    assert.equal(cache.size, 100);
    assert.equal(cache.get(cache.digest('key-999')).kind, 'hit');
    assert.equal(cache.get(cache.digest('key-0')).kind, 'miss');
    // Evicted entries left the indexes: purging every consumer removes exactly what is cached.
    const removed = Array.from({ length: 7 }, (_, i) => cache.deleteByConsumerId(`c${i}`)).reduce((x, y) => x + y, 0);
    assert.equal(removed, 100);
  });

  it('moves a key between consumers in the index when its entry is replaced', () => {
    const { cache } = setup();
    const digest = cache.digest(KEY);
    cache.set(digest, verified('k1', 'c1'));
    cache.set(digest, verified('k1', 'c2'));
    assert.equal(cache.deleteByConsumerId('c1'), 0);
    assert.equal(cache.deleteByConsumerId('c2'), 1);
  });

  it('remembers unknown keys for the negative TTL, in a separate bounded part', () => {
    const { clock, cache } = setup({ neg_cache_size: 100 });
    const digest = cache.digest(KEY);
    assert.equal(cache.setNegative(digest), true);
    assert.deepEqual(cache.get(digest), { kind: 'negative' });
    assert.equal(cache.size, 0);
    clock.now += 30_000;
    assert.deepEqual(cache.get(digest), { kind: 'miss' });
    for (let i = 0; i < 150; i += 1) cache.setNegative(cache.digest(`unknown-${i}`));
    assert.equal(cache.negativeSize, 100);
  });

  it('lets a verified key replace a negative entry and the other way round', () => {
    const { cache } = setup();
    const digest = cache.digest(KEY);
    cache.setNegative(digest);
    cache.set(digest, verified('k1'));
    assert.equal(cache.get(digest).kind, 'hit');
    cache.setNegative(digest);
    assert.equal(cache.get(digest).kind, 'negative');
    assert.equal(cache.deleteByKeyId('k1'), 0);
  });

  it('forgets unknown keys on clearNegative, so an imported key works at once', () => {
    const { cache } = setup();
    const digest = cache.digest(KEY);
    cache.setNegative(digest);
    cache.clearNegative();
    assert.equal(cache.get(digest).kind, 'miss');
  });

  // An event arrives while the lookup is running; the purged credential need not be cached yet.
  const purges: Array<[string, (cache: ReturnType<typeof setup>['cache']) => unknown]> = [
    ['a purge of the key (revoke, change, delete)', (cache) => cache.deleteByKeyId('k1')],
    ['a purge of another key', (cache) => cache.deleteByKeyId('k2')],
    ["a purge of the consumer's keys", (cache) => cache.deleteByConsumerId('c1')],
    ['forgetting unknown keys', (cache) => cache.clearNegative()],
    ['a clear (resync)', (cache) => cache.clear()],
  ];
  for (const [name, purge] of purges) {
    it(`does not store the result of a lookup that started before ${name}`, () => {
      const { cache } = setup();
      const digest = cache.digest(KEY);
      const since = cache.epoch();
      purge(cache);
      assert.equal(cache.set(digest, verified('k1'), { since }), false);
      assert.equal(cache.setNegative(digest, { since }), false);
      assert.equal(cache.get(digest).kind, 'miss');
      assert.equal(cache.set(digest, verified('k1'), { since: cache.epoch() }), true, 'a lookup started after it is stored');
    });
  }

  it('clears both parts and the indexes', () => {
    const { cache } = setup();
    cache.set(cache.digest('a'), verified('k1'));
    cache.setNegative(cache.digest('b'));
    cache.clear();
    assert.deepEqual([cache.size, cache.negativeSize], [0, 0]);
    assert.equal(cache.deleteByKeyId('k1'), 0);
  });
});
