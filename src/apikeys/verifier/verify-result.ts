/**
 * What a verification says, as a value (never an exception): `valid` with the verified key, or
 * why not. Every non-valid status looks the same to the client (401); the reason goes to the log
 * with the key's public id only.
 */
import type { CachedKeyIdentity } from '../../credentials/verification-cache.js';

export interface VerifiedKey extends CachedKeyIdentity {
  /** The api_keys row id; null for keys a remote issuer validated. */
  readonly rowId: string | null;
  readonly issuer: string;
  /** The only service the key is valid for; null: any service whose key-auth accepts it. */
  readonly serviceId: string | null;
}

export type VerifyFailure =
  | 'malformed'
  | 'unknown_issuer'
  | 'issuer_not_accepted'
  | 'not_found'
  | 'revoked'
  | 'expired'
  | 'out_of_scope'
  | 'overloaded'
  | 'issuer_unavailable'
  | 'store_unavailable';

export type VerifyResult = { readonly status: 'valid'; readonly key: VerifiedKey } | { readonly status: VerifyFailure; readonly keyId?: string };

/** Which service the request is for, and which issuers the plugin accepts (all when absent). */
export interface VerifyScope {
  readonly serviceId: string | null;
  readonly issuers?: readonly string[] | undefined;
}
