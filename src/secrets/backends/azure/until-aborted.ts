/**
 * Settles with `work`, or rejects with an `AbortError` as soon as `signal` aborts, whichever is
 * first. Needed because not every Azure call honours the abort signal it is given: MSAL's authority
 * discovery and managed-identity token requests take none, so a hanging Entra or identity endpoint
 * would hold a read forever. The abandoned work still settles later (its sockets end when the
 * server answers or the connection drops); nobody waits for it.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(abortError());
  }
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
  });
  // Promise.race subscribes to `work`, so its late rejection is handled, never unhandled.
  return Promise.race([work, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

function abortError(): Error {
  const err = new Error('the read was aborted (timeout)');
  err.name = 'AbortError';
  return err;
}
