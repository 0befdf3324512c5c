/** Bounding a promise by a signal, for the parts of a read the SDK does not abort itself. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { untilAborted } from './until-aborted.js';

describe('untilAborted', () => {
  it('settles like the promise when it settles first, and leaves no listener on the signal', async () => {
    const controller = new AbortController();
    assert.equal(await untilAborted(Promise.resolve('v'), controller.signal), 'v');
    await assert.rejects(untilAborted(Promise.reject(new Error('boom')), controller.signal), /boom/);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  it('rejects with the signal’s reason as soon as it aborts, and the late loser never goes unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let lateSettled = false;
      const slow = sleep(500).then(() => {
        lateSettled = true;
        throw new Error('late');
      });
      await assert.rejects(untilAborted(slow, AbortSignal.timeout(20)), (err) => (err as Error).name === 'TimeoutError');
      assert.equal(lateSettled, false, 'the signal won');
      await sleep(600);
      assert.equal(lateSettled, true);
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('rejects at once for a signal that has already aborted', async () => {
    const reason = new Error('gone');
    await assert.rejects(untilAborted(new Promise(() => undefined), AbortSignal.abort(reason)), (err) => err === reason);
  });
});
