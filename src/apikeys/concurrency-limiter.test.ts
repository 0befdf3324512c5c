import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConcurrencyLimiter } from './concurrency-limiter.js';

/** A task that finishes when `finish` is called, recording how many run at once. */
function gate() {
  let running = 0;
  let peak = 0;
  const finishers: Array<() => void> = [];
  const task = () =>
    new Promise<string>((resolve) => {
      running += 1;
      peak = Math.max(peak, running);
      finishers.push(() => {
        running -= 1;
        resolve('verified');
      });
    });
  const finishOne = async () => {
    finishers.shift()?.();
    await new Promise((r) => setImmediate(r));
  };
  return { task, finishOne, peak: () => peak };
}

describe('concurrency limiter', () => {
  it('runs at most `concurrency` tasks at once and queues the rest in order', async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 2, maxQueue: 10 });
    const { task, finishOne, peak } = gate();
    const order: number[] = [];
    const calls = Array.from({ length: 6 }, (_, i) => limiter.run(task).then((r) => (order.push(i), r)));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual([limiter.active, limiter.queued], [2, 4]);
    for (let i = 0; i < 6; i += 1) await finishOne();
    assert.ok((await Promise.all(calls)).every((r) => r.kind === 'done' && r.value === 'verified'));
    assert.equal(peak(), 2);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5]);
    assert.deepEqual([limiter.active, limiter.queued], [0, 0]);
  });

  it('answers overloaded at once, as a value, when the queue is full', async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 1, maxQueue: 2 });
    const { task, finishOne } = gate();
    const accepted = [limiter.run(task), limiter.run(task), limiter.run(task)];
    let ran = false;
    const flood = await Promise.all(
      Array.from({ length: 1000 }, () =>
        limiter.run(async () => {
          ran = true;
        }),
      ),
    );
    assert.ok(flood.every((r) => r.kind === 'overloaded'));
    assert.equal(ran, false);
    assert.equal(limiter.queued, 2);
    for (let i = 0; i < 3; i += 1) await finishOne();
    assert.ok((await Promise.all(accepted)).every((r) => r.kind === 'done'));
    assert.equal((await limiter.run(async () => 1)).kind, 'done');
  });

  it('with no queue, runs a task only when a slot is free', async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 1, maxQueue: 0 });
    const { task, finishOne } = gate();
    const first = limiter.run(task);
    assert.deepEqual(await limiter.run(task), { kind: 'overloaded' });
    await finishOne();
    assert.equal((await first).kind, 'done');
  });

  it('passes a failing task’s error to its caller and frees the slot', async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 1, maxQueue: 1 });
    await assert.rejects(
      limiter.run(async () => Promise.reject(new Error('hash failed'))),
      /hash failed/,
    );
    await assert.rejects(
      limiter.run(() => {
        throw new Error('sync failure');
      }),
      /sync failure/,
    );
    assert.equal(limiter.active, 0);
    assert.deepEqual(await limiter.run(async () => 42), { kind: 'done', value: 42 });
  });

  it('refuses a concurrency below 1 or a negative queue', () => {
    assert.throws(() => createConcurrencyLimiter({ concurrency: 0, maxQueue: 1 }), RangeError);
    assert.throws(() => createConcurrencyLimiter({ concurrency: 1, maxQueue: -1 }), RangeError);
  });
});
