/**
 * The primary's guard on its workers' channel errors: a real `cluster.Worker` emitting the EPIPE
 * Node's cluster raises when it writes to a worker that has just exited.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:cluster';
import { absorbWorkerErrors } from './worker-pool.js';

describe('absorbWorkerErrors', () => {
  it("keeps a worker's EPIPE from ending the primary, and reports it", () => {
    // A Worker without a process, as Node's cluster makes one around each forked process.
    const worker = new (Worker as unknown as new (options: { id: number }) => Worker)({ id: 1 });
    const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' });
    assert.throws(() => worker.emit('error', epipe), /EPIPE/, 'without a listener the error is thrown (what ended the primary)');
    const seen: Error[] = [];
    absorbWorkerErrors(worker, (err) => seen.push(err));
    assert.doesNotThrow(() => worker.emit('error', epipe));
    assert.deepEqual(seen, [epipe]);
  });
});
