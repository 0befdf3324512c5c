import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSingleFlight } from './single-flight.js';

/** A promise settled by hand. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('single flight', () => {
  it('makes N concurrent calls for one key share a single lookup and its result', async () => {
    const group = createSingleFlight<string, string>();
    const lookup = deferred<string>();
    let lookups = 0;
    const work = () => {
      lookups += 1;
      return lookup.promise;
    };
    const calls = Array.from({ length: 100 }, () => group.run('digest-1', work));
    assert.equal(group.inFlight, 1);
    lookup.resolve('key-record');
    assert.deepEqual(await Promise.all(calls), Array(100).fill('key-record'));
    assert.equal(lookups, 1);
    assert.equal(group.inFlight, 0);
  });

  it('runs lookups for different keys independently', async () => {
    const group = createSingleFlight<string, string>();
    const results = await Promise.all([group.run('a', async () => 'A'), group.run('b', async () => 'B')]);
    assert.deepEqual(results, ['A', 'B']);
  });

  it('gives a failure to every waiter of that run and does not cache it', async () => {
    const group = createSingleFlight<string, string>();
    const lookup = deferred<string>();
    const calls = Array.from({ length: 5 }, () => group.run('k', () => lookup.promise));
    lookup.reject(new Error('store unavailable'));
    const settled = await Promise.allSettled(calls);
    assert.ok(settled.every((s) => s.status === 'rejected' && (s.reason as Error).message === 'store unavailable'));
    assert.equal(group.inFlight, 0);
    assert.equal(await group.run('k', async () => 'recovered'), 'recovered');
  });

  it('turns a synchronous throw of the work into a rejection', async () => {
    const group = createSingleFlight<string, string>();
    await assert.rejects(
      group.run('k', () => {
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(group.inFlight, 0);
  });

  it('starts a new lookup once the previous one settled', async () => {
    const group = createSingleFlight<string, number>();
    let lookups = 0;
    await group.run('k', async () => ++lookups);
    assert.equal(await group.run('k', async () => ++lookups), 2);
  });
});
