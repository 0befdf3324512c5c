/** Assertions several suites share. */
import assert from 'node:assert/strict';
import { PortcullisError } from '../../src/errors/portcullis-error.js';

/** Awaits `promise`, which must reject with a PortcullisError of `code`; returns that error. */
export async function rejectsWith(promise: Promise<unknown>, code: string): Promise<PortcullisError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof PortcullisError, `expected a PortcullisError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code}`);
}
