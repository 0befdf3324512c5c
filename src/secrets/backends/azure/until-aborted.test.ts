/** untilAborted: a read is never held longer than its signal allows, even by work that ignores it. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { untilAborted } from './until-aborted.js';

const never = () => new Promise<never>(() => undefined);

describe('untilAborted', () => {
  it('settles with the work when it ends first', async () => {
    assert.equal(await untilAborted(Promise.resolve(7), new AbortController().signal), 7);
    await assert.rejects(untilAborted(Promise.reject(new Error('boom')), new AbortController().signal), /boom/);
  });

  it('rejects with an AbortError when the signal aborts while the work hangs', async () => {
    const controller = new AbortController();
    // A ref'd timer: AbortSignal.timeout's would let the event loop end under a test that only waits.
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    await assert.rejects(untilAborted(never(), controller.signal), { name: 'AbortError' });
    assert.ok(Date.now() - started < 1000);
  });

  it('rejects at once for a signal that already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(untilAborted(never(), controller.signal), { name: 'AbortError' });
  });

  it('leaves no unhandled rejection when abandoned work fails later, and no listener on the signal', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      for (const alreadyAborted of [false, true]) {
        const controller = new AbortController();
        if (alreadyAborted) controller.abort();
        let fail: (err: Error) => void = () => undefined;
        const work = new Promise<never>((_, reject) => (fail = reject));
        const read = untilAborted(work, controller.signal);
        controller.abort();
        await assert.rejects(read, { name: 'AbortError' });
        fail(new Error('late'));
      }
      const controller = new AbortController();
      let added = 0;
      let removed = 0;
      const signal = controller.signal;
      const add = signal.addEventListener.bind(signal);
      const remove = signal.removeEventListener.bind(signal);
      signal.addEventListener = ((...args: Parameters<typeof add>) => (added++, add(...args))) as typeof add;
      signal.removeEventListener = ((...args: Parameters<typeof remove>) => (removed++, remove(...args))) as typeof remove;
      await untilAborted(Promise.resolve(1), signal);
      assert.deepEqual([added, removed], [1, 1]);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
