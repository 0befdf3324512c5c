/**
 * API keys as stored: hash-only (DESIGN §3.1). A key belongs to a service (valid for that
 * service only) or to a consumer (valid for any service whose key-auth accepts it), or both.
 */
import type { ForeignRef } from './entity.js';

export type ApiKeyStatus = 'active' | 'revoked';
/**
 * `generated`: made here; `supplied`: a value in our format a caller set for a local issuer;
 * `pushed`: registered by a push issuer; `external`: a value in a foreign format (imported).
 */
export type ApiKeySource = 'generated' | 'supplied' | 'pushed' | 'external';

/** A stored secret: which algorithm, its salt (if separate) and the hash. */
export interface ApiKeySecret {
  /** `<prefix>_<public id>` for our keys stored here, `sha256:<hex>` for digest-indexed keys. */
  readonly lookup: string;
  readonly algorithm: string;
  readonly salt: string | null;
  readonly hash: string;
}

export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly display_name: string | null;
  /** Public id: 16 hex chars; the key's own for generated keys, random for external ones. */
  readonly key_id: string;
  readonly issuer: string;
  readonly prefix: string | null;
  readonly source: ApiKeySource;
  readonly secret: ApiKeySecret;
  /** The secret replaced by the last regeneration, valid until `valid_until` (seconds). */
  readonly previous: (ApiKeySecret & { readonly valid_until: number }) | null;
  readonly service: ForeignRef | null;
  readonly consumer: ForeignRef | null;
  readonly status: ApiKeyStatus;
  /** Seconds since the epoch; null: never expires. */
  readonly expires_at: number | null;
  readonly revoked_at: number | null;
  readonly last_used_at: number | null;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly created_at: number;
  readonly updated_at: number;
}

/** Whose keys: a service's, a consumer's, or (when both are null) all. */
export interface ApiKeyOwner {
  readonly service_id: string | null;
  readonly consumer_id: string | null;
}
