/**
 * What a verification says, as a value (never an exception): `valid` with the verified key, or
 * why not. Every non-valid status looks the same to the client (401); the reason goes to the log
 * with the key's public id only.
 */
import type { CachedKeyIdentity } from '../../credentials/verification-cache.js';

export interface VerifiedKey extends CachedKeyIdentity {
  /**
   * True for a key of the store (its `last_used_at` is recorded, by `keyId`); false for a key a
   * remote issuer validated. A flag, not the row id: a million cached keys each holding a UUID
   * string would cost 64 MB more.
   */
  readonly stored: boolean;
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
