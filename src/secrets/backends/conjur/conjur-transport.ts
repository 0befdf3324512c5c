/**
 * The HTTP(S) connection pool of one `conjur` backend (undici, as the keyring's Vault source):
 * the configured CA (or the system's), a deadline per request (the caller's signal and the
 * backend's timeout, whichever ends first), answers capped at 1 MiB, redirects not followed.
 * Transport failures become `unavailable` VaultBackendErrors whose reason names Node's error code,
 * never a header or a body.
 */
import { Agent, request } from '../../../util/undici.js';
import { VaultBackendError } from '../../vault-backend.js';

/** No secret is larger; a hostile or broken server may send gigabytes. */
export const MAX_ANSWER_BYTES = 1024 * 1024;
/** Node's codes for a refused TLS handshake: OpenSSL's verify results (UNABLE_TO_VERIFY_LEAF_SIGNATURE, …) and ERR_TLS_* / ERR_SSL_*. */
const TLS_FAILURE = /CERT|SELF_SIGNED|SIGNATURE|ISSUER|INVALID_CA|PURPOSE|HOSTNAME|TLS|SSL/;
const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export interface ConjurAnswer {
  readonly status: number;
  readonly body: Uint8Array;
}

export interface ConjurRequest {
  readonly method: 'GET' | 'POST';
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface ConjurTransport {
  /** Sends one request and reads its whole answer; rejects with an `unavailable` VaultBackendError. */
  send(url: string, init: ConjurRequest, signal: AbortSignal): Promise<ConjurAnswer>;
  /** Ends open connections and in-flight requests; later sends fail. */
  close(): Promise<void>;
}

export interface ConjurTransportOptions {
  /** PEM of the CA(s) that Conjur's certificate is verified against; the system's when absent. */
  readonly ca?: string;
  /** Milliseconds one request may take at most. */
  readonly timeout: number;
}

export function createConjurTransport(options: ConjurTransportOptions): ConjurTransport {
  const { timeout } = options;
  const agent = new Agent({
    connect: options.ca === undefined ? { timeout } : { timeout, ca: options.ca },
    maxResponseSize: MAX_ANSWER_BYTES,
    headersTimeout: timeout,
    bodyTimeout: timeout,
  });
  let closed = false;

  return {
    async send(url, init, signal) {
      if (closed) throw new VaultBackendError('unavailable', 'the backend is closed');
      const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeout)]);
      try {
        const res = await request(url, { method: init.method, headers: init.headers, body: init.body, dispatcher: agent, signal: deadline });
        return { status: res.statusCode, body: new Uint8Array(await res.body.arrayBuffer()) };
      } catch (err) {
        throw new VaultBackendError('unavailable', closed ? 'the backend is closed' : transportFailure(err, deadline.aborted, timeout));
      }
    },
    async close() {
      closed = true;
      await agent.destroy();
    },
  };
}

/** Why a request got no usable answer, by Node's or undici's error code. */
function transportFailure(err: unknown, deadlinePassed: boolean, timeout: number): string {
  const code = errorCode(err);
  if (deadlinePassed || (code !== null && TIMEOUTS.has(code))) return `no answer in time (within ${timeout} ms, or before the read was cut off)`;
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return `the answer is larger than ${MAX_ANSWER_BYTES} bytes`;
  if (code !== null && TLS_FAILURE.test(code))
    return `the TLS connection was refused (${code}): if Conjur's certificate comes from a private CA, set ca_cert to that CA`;
  return `unreachable (${code ?? (err as Error)?.name ?? 'unknown error'})`;
}

/** The error's code, or its cause's (undici wraps socket errors). */
function errorCode(err: unknown): string | null {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 3; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string') return e.code;
  }
  return null;
}
