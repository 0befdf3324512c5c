/**
 * Turns whatever the Azure clients throw into a `VaultBackendError` of the right kind, as observed
 * from `@azure/keyvault-secrets` 4.11 and `@azure/identity` 4.13 (research note §5, and this
 * folder's tests against the fakes):
 *
 * | Thrown | Kind |
 * |---|---|
 * | `RestError` 404 (`SecretNotFound`: no such secret or version); 403 with inner `SecretDisabled` | not_found |
 * | `RestError` 401 (token refused after the challenge), 403 (`Forbidden`: no `get` permission); a vault host the challenge's resource does not cover | unauthorized |
 * | `RestError` 429, 5xx, other statuses; without a status (ECONNREFUSED, TLS …) | unavailable |
 * | Entra/managed identity: an OAuth error (`invalid_client` AADSTS7000215, `unauthorized_client`, identity not found, a 4xx), a vault in another tenant | unauthorized |
 * | Entra/managed identity: `temporarily_unavailable`, `server_error`, a 5xx or 429, no network, authority metadata unreachable | unavailable |
 * | `AbortError` (the resolver's signal or `deps.timeout`), an answer over the size cap, anything else | unavailable |
 *
 * The message names the secret and only codes (status, Key Vault error code, OAuth error code,
 * AADSTS number), each checked against a strict pattern: never a server's free text, which could
 * echo anything, and never the SDK error as `cause` (a `RestError` holds the request, whose
 * Authorization header is the bearer token, for any logger that serialises causes).
 */
import { VaultBackendError, type VaultFailureKind } from '../../vault-backend.js';
import { ResponseTooLargeError } from './bounded-response-policy.js';
import { MissingCredentialError } from './azure-credential.js';

const IDENTITY_ERRORS = new Set(['AuthenticationError', 'AuthenticationRequiredError', 'CredentialUnavailableError']);
/** OAuth / MSAL error codes that mean "try again later", not "your credentials are wrong". */
const TRANSIENT_OAUTH = new Set(['temporarily_unavailable', 'server_error', 'network_error', 'endpoints_resolution_error', 'request_timeout']);
const CODE = /^[A-Za-z0-9_.-]{1,64}$/;

interface Classified {
  readonly kind: VaultFailureKind;
  readonly detail: string;
}

/** `what` names the secret (`secret "db-pass"`); it is the only free text in the message. */
export function azureFailure(err: unknown, what: string): VaultBackendError {
  const { kind, detail } = classify(err);
  return new VaultBackendError(kind, `Azure Key Vault ${what}: ${detail}`);
}

function classify(err: unknown): Classified {
  if (err instanceof ResponseTooLargeError) return { kind: 'unavailable', detail: err.message };
  if (err instanceof MissingCredentialError) return { kind: 'unauthorized', detail: err.message };
  const e = (err ?? {}) as { name?: unknown };
  if (e.name === 'AbortError') return { kind: 'unavailable', detail: 'no answer before the deadline (aborted)' };
  if (e.name === 'RestError') return restFailure(err as RestErrorLike);
  // keyvault-common refuses to fetch a token for a vault whose host is not under the challenge's resource.
  if (err instanceof Error && /^The challenge resource .* does not match the requested domain/.test(err.message)) {
    return {
      kind: 'unauthorized',
      detail: "the vault's host is not under the resource its challenge names (*.vault.azure.net); see disable_challenge_resource_verification",
    };
  }
  if (typeof e.name === 'string' && IDENTITY_ERRORS.has(e.name)) return identityFailure(err as IdentityErrorLike);
  return { kind: 'unavailable', detail: `unexpected ${safe(e.name) ?? 'error'}` };
}

interface RestErrorLike {
  readonly statusCode?: number;
  readonly code?: string;
  /** The deserialised KeyVaultError: `innererror` arrives as `innerError`. */
  readonly details?: { error?: { innerError?: { code?: unknown } } };
}

function restFailure(err: RestErrorLike): Classified {
  const status = err.statusCode;
  const code = safe(err.code);
  if (status === undefined) return { kind: 'unavailable', detail: `Key Vault cannot be reached (${code ?? 'network error'})` };
  const inner = safe(err.details?.error?.innerError?.code);
  const answered = `Key Vault answered ${[status, code, inner].filter(Boolean).join(' ')}`;
  if (status === 404) return { kind: 'not_found', detail: `not found (${answered})` };
  if (status === 403 && inner === 'SecretDisabled') return { kind: 'not_found', detail: `the secret is disabled (${answered})` };
  if (status === 401) return { kind: 'unauthorized', detail: `the token was refused (${answered})` };
  if (status === 403) return { kind: 'unauthorized', detail: `access denied (${answered})` };
  return { kind: 'unavailable', detail: answered };
}

interface IdentityErrorLike {
  readonly name: string;
  readonly message?: string;
  readonly statusCode?: number;
  readonly errorResponse?: { error?: unknown };
  /** MSAL's ServerError, under managed identity. */
  readonly cause?: { errorCode?: unknown; status?: unknown; errorNo?: unknown };
}

function identityFailure(err: IdentityErrorLike): Classified {
  const message = String(err.message ?? '');
  const status = typeof err.statusCode === 'number' ? err.statusCode : typeof err.cause?.status === 'number' ? err.cause.status : undefined;
  // MSAL puts its error code first (`invalid_client: Error(s): 7000215 - …`); managed identity wraps it (`… Message invalid_request: …`).
  const oauth =
    safe(err.errorResponse?.error) ?? safe(err.cause?.errorCode) ?? /^(?:ManagedIdentityCredential: [^.]*\. Message )?([a-z][a-z_]*):/.exec(message)?.[1];
  const aadsts = /AADSTS(\d{1,9})\b/.exec(message)?.[1] ?? (typeof err.cause?.errorNo === 'number' ? String(err.cause.errorNo) : undefined);
  const answered = [safe(err.name), status, oauth, aadsts && `AADSTS${aadsts}`].filter(Boolean).join(' ');
  if (/not configured to acquire tokens for tenant/.test(message)) {
    return { kind: 'unauthorized', detail: `the vault belongs to another tenant than tenant_id (${answered})` };
  }
  const transient =
    /Network unreachable/.test(message) || (oauth !== undefined && TRANSIENT_OAUTH.has(oauth)) || (status !== undefined && (status >= 500 || status === 429));
  if (transient) return { kind: 'unavailable', detail: `no token from Microsoft Entra / the managed identity endpoint (${answered})` };
  return { kind: 'unauthorized', detail: `the credentials were refused (${answered})` };
}

function safe(value: unknown): string | undefined {
  return typeof value === 'string' && CODE.test(value) ? value : undefined;
}
