/**
 * What the gcp backend's tests share: the project the Secret Manager fake serves, the abort signal
 * each read gets, and the check that a read failed with a `VaultBackendError` (which it returns for
 * the test's own checks of kind and message). Nothing here touches process.env: the ADC tests seal
 * it themselves, in their own process.
 */
import assert from 'node:assert/strict';
import { VaultBackendError } from '../../../vault-backend.js';

/** The project id every gcp test's fake serves. */
export const PROJECT = 'portcullis-test';

/** A fresh ten-second signal for one read. */
export const signal = (): AbortSignal => AbortSignal.timeout(10_000);

/** Awaits a read that must fail; returns its error, which must be a VaultBackendError. */
export async function readFailure(promise: Promise<unknown>): Promise<VaultBackendError> {
  const err = await promise.then(
    () => assert.fail('expected the read to fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof VaultBackendError, String(err));
  return err;
}
