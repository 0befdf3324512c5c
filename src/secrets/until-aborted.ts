/**
 * Bounds a wait by an abort signal, for work that does not honour the signal itself: an SDK's
 * credential fetch (AWS container/IMDS/STS, MSAL discovery, the GCP metadata server), a login
 * shared by several reads (Vault, Conjur), or a backend that ignores its signal (the resolver).
 * It settles as the work does, or rejects as soon as the signal aborts; the abandoned work goes on
 * for other waiters or ends on its own timeouts, and its late rejection is never left unhandled.
 */

/** Settles like `work`, or rejects with `reason()` (default: the signal's reason) once `signal` aborts. */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal, reason: () => unknown = () => signal.reason): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(reason());
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(reason());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
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
