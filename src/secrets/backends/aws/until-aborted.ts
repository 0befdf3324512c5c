/**
 * Bounds a promise by an abort signal. The AWS SDK honours `abortSignal` only inside its HTTP
 * handler; fetching credentials first (container endpoint, instance metadata, STS, SSO) does not
 * look at it, so a read waiting on a credential source that hangs would outlive the resolver's
 * timeout. This settles as soon as the signal aborts; the abandoned work ends on its own timeouts.
 */

/** Settles like `promise`, or rejects with `signal.reason` as soon as `signal` aborts. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    // Handlers are attached in every case, so the losing promise never rejects unhandled.
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
