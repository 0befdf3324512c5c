/**
 * Turns whatever the Google client threw into a VaultBackendError: one kind, and a message of our
 * own naming the secret version and Google's status, never the service's message text (an
 * endpoint could echo the credentials it was sent) nor a parser's (it quotes what it read).
 *
 * Statuses come two ways, and both are mapped: gRPC codes 0–16 (`google.rpc.Code`, what the client
 * decodes from Google's JSON error envelope) and HTTP statuses 100–599 (a body that was not an
 * envelope, or a client that reports the HTTP status). The two ranges never overlap.
 *
 * PERMISSION_DENIED (403) is `unauthorized`, not `not_found`, although Google answers it for a
 * secret that does not exist as well: the caller lacks `secretmanager.versions.access` there, so the
 * fix is an IAM binding, and a "not found" would send an operator looking for a typo instead.
 * The message says both. FAILED_PRECONDITION (a disabled or destroyed version) is `not_found`: that
 * version cannot be read until someone enables it, which is what disabling one is for.
 */
import { VaultBackendError, type VaultFailureKind } from '../../vault-backend.js';
import { GRPC_CODE_NAMES } from '../../../util/grpc-codes.js';

/** What the read saw of the exchange with Secret Manager (filled in by the client's interceptors). */
export interface ExchangeState {
  /** A request to Secret Manager was sent: credentials had been obtained. */
  readonly sent: boolean;
  /** The HTTP status Secret Manager answered with, once it answered. */
  readonly status?: number;
}

const GRPC = { INVALID_ARGUMENT: 3, NOT_FOUND: 5, PERMISSION_DENIED: 7, FAILED_PRECONDITION: 9, UNAUTHENTICATED: 16 } as const;

/** Google's code for an HTTP status without an envelope (cloud.google.com/apis/design/errors). */
const GRPC_OF_HTTP: Readonly<Record<number, number>> = { 400: 3, 401: 16, 403: 7, 404: 5, 409: 10, 429: 8, 499: 1, 500: 13, 501: 12, 503: 14, 504: 4 };

const isGrpcCode = (c: unknown): c is number => typeof c === 'number' && Number.isInteger(c) && c >= 0 && c < GRPC_CODE_NAMES.length;
const isHttpStatus = (c: unknown): c is number => typeof c === 'number' && Number.isInteger(c) && c >= 100 && c <= 599;
const field = (err: unknown, name: string): unknown => (typeof err === 'object' && err !== null ? (err as Record<string, unknown>)[name] : undefined);

/** The gRPC code of a failed exchange, whichever way the client reported it. */
function grpcCodeOf(err: unknown, state: ExchangeState): number | null {
  const code = field(err, 'code');
  if (isGrpcCode(code) && state.status !== undefined) return code;
  const http = isHttpStatus(code) ? code : isHttpStatus(field(err, 'status')) ? (field(err, 'status') as number) : state.status;
  if (http === undefined || http < 400) return null;
  return GRPC_OF_HTTP[http] ?? (http >= 500 ? 14 : 2);
}

function kindOf(code: number): VaultFailureKind {
  if (code === GRPC.NOT_FOUND || code === GRPC.FAILED_PRECONDITION || code === GRPC.INVALID_ARGUMENT) return 'not_found';
  if (code === GRPC.PERMISSION_DENIED || code === GRPC.UNAUTHENTICATED) return 'unauthorized';
  return 'unavailable';
}

function describeStatus(code: number, name: string, err: unknown, state: ExchangeState): string {
  const status = `${GRPC_CODE_NAMES[code]}${state.status === undefined ? '' : `, HTTP ${state.status}`}`;
  switch (code) {
    case GRPC.NOT_FOUND:
      return `${name} does not exist (${status})`;
    case GRPC.FAILED_PRECONDITION: {
      // The version's state is the one word of Google's message worth passing on.
      const versionState = /\b(DISABLED|DESTROYED)\b/.exec(String(field(err, 'message') ?? ''))?.[1];
      return `${name} cannot be read: the version is ${versionState ?? 'not enabled'} (${status})`;
    }
    case GRPC.INVALID_ARGUMENT:
      return `Secret Manager refused the name ${name} (${status})`;
    case GRPC.PERMISSION_DENIED:
      return `permission denied on ${name} (${status}): the credentials lack secretmanager.versions.access on it, or it does not exist (Google does not say which)`;
    case GRPC.UNAUTHENTICATED:
      return `Secret Manager refused the credentials while reading ${name} (${status})`;
    default:
      return `Secret Manager could not serve ${name} (${status})`;
  }
}

/** A short cause that is safe to show: Node's error code (ECONNREFUSED, ENOENT, CERT_HAS_EXPIRED …) or the error's class. */
function causeOf(err: unknown): string {
  const code = field(err, 'code') ?? field(field(err, 'cause'), 'code');
  if (typeof code === 'string' && /^[A-Za-z0-9_]{1,64}$/.test(code)) return code;
  const name = field(err, 'name');
  return typeof name === 'string' && /^[A-Za-z]{1,64}$/.test(name) ? name : 'Error';
}

/** Obtaining credentials from `source` failed (a key, a key file, the metadata server). */
function credentialFailure(err: unknown, name: string, source: string): VaultBackendError {
  const http = field(err, 'status') ?? field(field(err, 'response'), 'status');
  const madeRequest = typeof field(err, 'config') === 'object';
  if (isHttpStatus(http)) {
    const kind = http < 500 ? 'unauthorized' : 'unavailable';
    return new VaultBackendError(kind, `no GCP credentials to read ${name}: the token source of ${source} answered HTTP ${http}`);
  }
  if (madeRequest)
    return new VaultBackendError('unavailable', `no GCP credentials to read ${name}: the token source of ${source} did not answer (${causeOf(err)})`);
  // google-auth-library's words when every step of application default credentials came up empty.
  const reason = String(field(err, 'message') ?? '').startsWith('Could not load the default credentials')
    ? 'application default credentials found none (no GOOGLE_APPLICATION_CREDENTIALS file, gcloud login or metadata server)'
    : `${source} could not be used (${causeOf(err)})`;
  return new VaultBackendError('unauthorized', `no GCP credentials to read ${name}: ${reason}`);
}

/** What a read was about: the secret version's name, and where its credentials come from (for messages). */
export interface ReadSubject {
  readonly name: string;
  /** `service_account_key`, `the key file /etc/gcp.json (GOOGLE_APPLICATION_CREDENTIALS)`, `application default credentials`. */
  readonly credentials: string;
}

/**
 * The VaultBackendError for a failed read. `aborted` says the read's signal (the resolver's
 * timeout, or the backend's own) ended it.
 */
export function gcpFailure(err: unknown, subject: ReadSubject, state: ExchangeState, aborted: boolean): VaultBackendError {
  if (err instanceof VaultBackendError) return err;
  const { name } = subject;
  if (aborted) {
    const waiting = state.sent ? 'no answer from Secret Manager' : 'no credentials yet (the token source did not answer)';
    return new VaultBackendError('unavailable', `${name}: ${waiting} when the read was aborted (timeout)`);
  }
  if (!state.sent) return credentialFailure(err, name, subject.credentials);
  const http = state.status === undefined ? '' : ` (HTTP ${state.status})`;
  // A body cut off at the cap says nothing reliable, whatever its status.
  if (field(err, 'type') === 'max-size') return new VaultBackendError('unavailable', `the answer from Secret Manager for ${name}${http} is over 1 MiB`);
  const code = grpcCodeOf(err, state);
  if (code !== null) return new VaultBackendError(kindOf(code), describeStatus(code, name, err, state));
  if (state.status === undefined) return new VaultBackendError('unavailable', `no answer from Secret Manager for ${name}: ${causeOf(err)}`);
  const cause = field(err, 'name') === 'SyntaxError' ? 'not JSON' : causeOf(err);
  return new VaultBackendError('unavailable', `an unreadable answer from Secret Manager for ${name}${http}: ${cause}`);
}

/** True for a failure worth one more try with credentials obtained afresh (a token revoked or expired early). */
export function isRefusedCredential(err: unknown, state: ExchangeState): boolean {
  return state.sent && grpcCodeOf(err, state) === GRPC.UNAUTHENTICATED;
}
