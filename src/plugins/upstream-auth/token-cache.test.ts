import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TokenCache, DEFAULT_TOKEN_LIFETIME_MS, type CachedToken, type TokenFetcher } from './token-cache.js';

type Fetched = Awaited<ReturnType<TokenFetcher>>;

/** A fetcher whose answers the test releases one by one; counts calls. */
function controlledFetcher() {
  const pending: ((answer: Fetched) => void)[] = [];
  let calls = 0;
  const fetch: TokenFetcher = () => {
    calls++;
    return new Promise((resolve) => pending.push(resolve));
  };
  return {
    fetch,
    calls: () => calls,
    answer(accessToken: string | null, expiresIn?: number) {
      pending.shift()!(accessToken === null ? null : { accessToken, expiresIn });
    },
  };
}

function setup(marginMs = 10_000) {
  const clock = { t: 1_000_000 };
  const fetcher = controlledFetcher();
  const cache = new TokenCache(fetcher.fetch, { marginMs, now: () => clock.t });
  return { clock, fetcher, cache };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('TokenCache', () => {
  it('fetches once for 50 concurrent requests and gives every one the same token', async () => {
    const { fetcher, cache } = setup();
    const waiting = Array.from({ length: 50 }, () => cache.get());
    assert.equal(fetcher.calls(), 1);
    fetcher.answer('tok-1', 3600);
    const tokens = await Promise.all(waiting);
    assert.ok(tokens.every((t) => t?.authorization === 'Bearer tok-1'));
    assert.equal(fetcher.calls(), 1);
  });

  it('answers synchronously while the token is fresh', async () => {
    const { fetcher, cache } = setup();
    const first = cache.get();
    fetcher.answer('tok-1', 3600);
    await first;
    const again = cache.get();
    assert.ok(!(again instanceof Promise));
    assert.equal((again as CachedToken).authorization, 'Bearer tok-1');
    assert.equal(fetcher.calls(), 1);
  });

  it('refreshes in the background shortly before expiry, still serving the current token, then switches', async () => {
    const { clock, fetcher, cache } = setup(10_000);
    const start = clock.t;
    const first = cache.get();
    fetcher.answer('tok-1', 60); // used until start+50 s, refreshed from start+40 s
    await first;

    clock.t = start + 39_000;
    assert.equal((cache.get() as CachedToken).authorization, 'Bearer tok-1');
    assert.equal(fetcher.calls(), 1, 'no refresh before refreshAt');

    clock.t = start + 41_000;
    assert.equal((cache.get() as CachedToken).authorization, 'Bearer tok-1', 'the current token is still served');
    assert.equal((cache.get() as CachedToken).authorization, 'Bearer tok-1');
    assert.equal(fetcher.calls(), 2, 'one background refresh');
    fetcher.answer('tok-2', 60);
    await settle();
    assert.equal((cache.get() as CachedToken).authorization, 'Bearer tok-2');
  });

  it('stops sending a token once it is within the margin of its expiry, and waits for a new one', async () => {
    const { clock, fetcher, cache } = setup(10_000);
    const start = clock.t;
    const first = cache.get();
    fetcher.answer('tok-1', 60);
    await first;
    clock.t = start + 50_000;
    const next = cache.get();
    assert.ok(next instanceof Promise);
    fetcher.answer('tok-2', 60);
    assert.equal((await next)?.authorization, 'Bearer tok-2');
  });

  it('caps the margin at a quarter of a short lifetime, and keeps a token without expires_in for the default lifetime', async () => {
    const { clock, fetcher, cache } = setup(10_000);
    const start = clock.t;
    const short = cache.get();
    fetcher.answer('short', 8);
    const token = (await short)!;
    assert.equal(token.expiresAt, start + 6_000);
    assert.equal(token.refreshAt, start + 4_000);

    cache.drop();
    const open = cache.get();
    fetcher.answer('open');
    assert.equal((await open)!.expiresAt, start + DEFAULT_TOKEN_LIFETIME_MS - 10_000);
  });

  it('does not remember a failure: the waiters get null, the next request fetches again', async () => {
    const { fetcher, cache } = setup();
    const waiting = [cache.get(), cache.get()];
    fetcher.answer(null);
    assert.deepEqual(await Promise.all(waiting), [null, null]);
    const retry = cache.get();
    assert.equal(fetcher.calls(), 2);
    fetcher.answer('tok-1', 3600);
    assert.equal((await retry)?.authorization, 'Bearer tok-1');
  });

  it('treats a fetcher that throws as a failure', async () => {
    const cache = new TokenCache(() => Promise.reject(new Error('boom')), { marginMs: 0, now: () => 0 });
    assert.equal(await cache.get(), null);
  });

  it('forgets the token on drop, and a fetch already running does not fill the cache afterwards', async () => {
    const { fetcher, cache } = setup();
    const first = cache.get();
    fetcher.answer('tok-1', 3600);
    await first;
    assert.equal((cache.current() as CachedToken).authorization, 'Bearer tok-1');

    cache.drop();
    assert.equal(cache.current(), null);
    const during = cache.get();
    cache.drop();
    fetcher.answer('stale', 3600);
    assert.equal((await during)?.authorization, 'Bearer stale', 'its own waiters still get it');
    assert.equal(cache.current(), null, 'but it is not cached');
    const after = cache.get();
    assert.ok(after instanceof Promise);
    fetcher.answer('tok-3', 3600);
    assert.equal((await after)?.authorization, 'Bearer tok-3');
  });
});
