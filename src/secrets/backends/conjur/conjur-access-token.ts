/**
 * A Conjur v5 access token, as `POST /authn/{account}/{login}/authenticate` returns it: JSON
 * `{protected, payload, signature}` whose `payload` is base64 of `{"sub", "iat", "exp"?}` (seconds).
 * Without `exp` a token lives 8 minutes (Conjur's default). It is sent back whole, base64-encoded,
 * as `Authorization: Token token="<base64>"`.
 *
 * Its life is measured on OUR clock from the moment we asked for it (it was issued after that), so
 * a Conjur whose clock is ahead or behind ours neither makes a fresh token look expired nor lets
 * an old one live on. One second is taken off because `iat` is rounded down to the second: a
 * token issued at 10.9 s says `iat: 10` and its `exp` comes 0.9 s sooner than `exp − iat` says.
 */
import { Secret } from '../../../observability/secret.js';

/** Conjur's token life when the payload has no `exp` (conjur-api-go auth_token.go). */
export const DEFAULT_TOKEN_LIFE_SECONDS = 8 * 60;
/** A token is replaced once this share of its life has passed (as conjur-api-go does). */
export const REFRESH_AT = 0.85;

export interface ConjurAccessToken {
  /** The `Authorization` header value: `Token token="<base64 of the token JSON>"`. */
  readonly header: Secret<string>;
  /** From this time (ms, our clock) a read asks for a new token, and keeps this one if that fails. */
  readonly refreshAt: number;
  /** From this time (ms, our clock) the token is never sent again. */
  readonly expiresAt: number;
}

const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * Parses the body of an authenticate answer, asked for at `requestedAt` (ms). Null when it is not
 * a v5 token: not JSON, a field missing, a payload that is not base64 JSON with a numeric `iat`,
 * or an `exp` not after `iat` (conjur-api-go refuses those too).
 */
export function parseConjurAccessToken(body: Uint8Array, requestedAt: number): ConjurAccessToken | null {
  let token: unknown;
  let claims: unknown;
  try {
    token = JSON.parse(Buffer.from(body).toString('utf8'));
    const { protected: header, payload, signature } = (token ?? {}) as Record<string, unknown>;
    if (typeof header !== 'string' || typeof signature !== 'string' || header === '' || signature === '') return null;
    if (typeof payload !== 'string' || !BASE64.test(payload)) return null;
    claims = JSON.parse(Buffer.from(payload, 'base64').toString('utf8'));
  } catch {
    return null;
  }
  const { iat, exp } = (claims ?? {}) as Record<string, unknown>;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return null;
  if (exp !== undefined && (typeof exp !== 'number' || !Number.isFinite(exp) || exp <= iat)) return null;
  const lifeSeconds = (exp ?? iat + DEFAULT_TOKEN_LIFE_SECONDS) - iat;
  const usableMs = Math.max(0, lifeSeconds - 1) * 1000;
  return {
    header: new Secret(`Token token="${Buffer.from(body).toString('base64')}"`),
    refreshAt: requestedAt + usableMs * REFRESH_AT,
    expiresAt: requestedAt + usableMs,
  };
}
