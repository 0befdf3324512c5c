import { it } from 'node:test';
import assert from 'node:assert/strict';
import { untilAborted } from './until-aborted.js';

it('settles as the promise does while the signal holds', async () => {
  const signal = new AbortController().signal;
  assert.equal(await untilAborted(Promise.resolve('value'), signal), 'value');
  await assert.rejects(untilAborted(Promise.reject(new Error('boom')), signal), /boom/);
});

it('rejects with the signal reason as soon as it aborts, or at once when it already has', async () => {
  const never = new Promise<never>(() => undefined);
  const controller = new AbortController();
  const pending = untilAborted(never, controller.signal);
  controller.abort(new Error('timed out'));
  await assert.rejects(pending, /timed out/);
  await assert.rejects(untilAborted(never, AbortSignal.abort(new Error('already'))), /already/);
});

it('leaves no unhandled rejection behind when the abandoned promise fails later', async () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    let fail: (e: Error) => void = () => undefined;
    const late = new Promise<never>((_, reject) => (fail = reject));
    const controller = new AbortController();
    const pending = untilAborted(late, controller.signal);
    controller.abort(new Error('gave up'));
    await assert.rejects(pending, /gave up/);
    fail(new Error('late failure'));
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

it('rejects with what `reason` makes instead of the signal reason when given', async () => {
  const controller = new AbortController();
  const pending = untilAborted(new Promise<never>(() => undefined), controller.signal, () => new Error('custom cut-off'));
  controller.abort();
  await assert.rejects(pending, /custom cut-off/);
});
