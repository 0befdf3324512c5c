/**
 * The `hcv` backend's one way to talk to Vault: undici's `request` over an `Agent` of its own (the
 * custom CA, when given, is the only CA trusted), `X-Vault-Namespace` on every request (logins
 * too: Vault resolves auth mounts inside the namespace), the token only when one is passed.
 *
 * Every call ends by its caller's signal or `timeout`, whichever comes first; redirects are not
 * followed (a standby's 307 points elsewhere: the caller refuses it); an answer over 1 MiB is cut
 * off. A call that gets no answer throws `unavailable` naming Vault's address and what was being
 * done; a call that gets one returns its status and JSON body (null when empty or not JSON), and
 * the caller decides what the status means.
 */
import { Agent, request } from '../../../util/undici.js';
import { VaultBackendError } from '../../vault-backend.js';

/** A secret, or a login, is never near this: a hostile or broken server may send gigabytes. */
export const MAX_ANSWER_BYTES = 1024 * 1024;
/** Node's codes for a refused TLS handshake (OpenSSL's verify results, ERR_TLS_*, ERR_SSL_*). */
const TLS_FAILURE = /CERT|SELF_SIGNED|SIGNATURE|ISSUER|INVALID_CA|PURPOSE|HOSTNAME|TLS|SSL/;
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export interface VaultHttpOptions {
  /** `https://vault.example.com:8200`. */
  readonly base: string;
  readonly namespace?: string;
  /** PEM of the CA(s) Vault's certificate must chain to; the system store when absent. */
  readonly ca?: string;
  /** Milliseconds one call may take. */
  readonly timeout: number;
}

export interface VaultCall {
  /** After `/v1/`, already percent-encoded (`secret/data/app%20db?version=2`). */
  readonly path: string;
  readonly method: 'GET' | 'POST';
  readonly token?: string;
  readonly body?: unknown;
  /** What the call is for, in messages: `reading "secret/app"`, `logging in at auth/approle`. */
  readonly what: string;
}

export interface VaultAnswer {
  readonly status: number;
  /** The parsed JSON body; null when the body is empty or not JSON. */
  readonly body: unknown;
}

export interface VaultHttp {
  call(call: VaultCall, signal: AbortSignal): Promise<VaultAnswer>;
  close(): Promise<void>;
}

export function createVaultHttp(options: VaultHttpOptions): VaultHttp {
  const agent = new Agent({
    connect: options.ca === undefined ? { timeout: options.timeout } : { timeout: options.timeout, ca: options.ca },
    // Many references resolving at once share a few connections rather than open one each.
    connections: 16,
    maxResponseSize: MAX_ANSWER_BYTES,
    headersTimeout: options.timeout,
    bodyTimeout: options.timeout,
  });
  const fixedHeaders: Record<string, string> = { accept: 'application/json', 'x-vault-request': 'true' };
  if (options.namespace !== undefined) fixedHeaders['x-vault-namespace'] = options.namespace;

  return {
    async call(call, signal) {
      const deadline = AbortSignal.any([signal, AbortSignal.timeout(options.timeout)]);
      const headers = { ...fixedHeaders };
      if (call.token !== undefined) headers['x-vault-token'] = call.token;
      if (call.body !== undefined) headers['content-type'] = 'application/json';
      try {
        const res = await request(`${options.base}/v1/${call.path}`, {
          method: call.method,
          headers,
          body: call.body === undefined ? null : JSON.stringify(call.body),
          dispatcher: agent,
          signal: deadline,
        });
        const text = await res.body.text();
        return { status: res.statusCode, body: parseJson(text) };
      } catch (err) {
        // The caller's signal first: it is the resolver's deadline (or close()), not a failure of Vault's own.
        const why = signal.aborted ? 'cancelled: no answer before the deadline' : transportFailure(err, deadline.aborted, options.timeout);
        throw new VaultBackendError('unavailable', `hcv: ${call.what} on Vault at ${options.base}: ${why}`);
      }
    },
    close: () => agent.destroy(),
  };
}

function parseJson(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** Why a call got no answer; the cause's code only (its message may quote a URL or a header). */
function transportFailure(err: unknown, deadlinePassed: boolean, timeout: number): string {
  const code = (err as { code?: unknown })?.code;
  if (deadlinePassed || (typeof code === 'string' && TIMEOUT_CODES.has(code))) return `no answer within ${timeout} ms`;
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return `the answer is larger than ${MAX_ANSWER_BYTES} bytes`;
  const detail = typeof code === 'string' ? code : ((err as Error)?.name ?? 'error');
  if (typeof code === 'string' && TLS_FAILURE.test(code))
    return `the TLS connection was refused (${detail}): if Vault's certificate comes from a private CA, set ca_cert`;
  return `no connection (${detail})`;
}
