/**
 * What the Admin API and the CLI show of a key: never the hash, never the secret; the public id,
 * a masked form, and the status computed at read time (active, revoked or expired).
 */
import type { ApiKeyRecord } from '../../entities/api-keys.js';
import { maskApiKey } from '../key-format.js';

export type ApiKeyDisplayStatus = 'active' | 'revoked' | 'expired';

export interface ApiKeyView {
  readonly id: string;
  readonly name: string;
  readonly display_name: string | null;
  readonly key_id: string;
  readonly masked_key: string;
  readonly issuer: string;
  readonly source: ApiKeyRecord['source'];
  readonly algorithm: string;
  readonly status: ApiKeyDisplayStatus;
  readonly service: { id: string } | null;
  readonly consumer: { id: string } | null;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly expires_at: string | null;
  /** Until when the secret replaced by the last regeneration still works. */
  readonly grace_until: string | null;
  readonly last_used_at: string | null;
  readonly revoked_at: string | null;
  readonly created_at: string;
  readonly updated_at: string;
}

export function keyStatus(record: ApiKeyRecord, nowSeconds: number): ApiKeyDisplayStatus {
  if (record.status === 'revoked') return 'revoked';
  if (record.expires_at !== null && record.expires_at <= nowSeconds) return 'expired';
  return 'active';
}

export function toApiKeyView(record: ApiKeyRecord, nowSeconds: number): ApiKeyView {
  const grace = record.previous && record.previous.valid_until > nowSeconds ? record.previous.valid_until : null;
  return {
    id: record.id,
    name: record.name,
    display_name: record.display_name,
    key_id: record.key_id,
    masked_key: record.prefix ? maskApiKey(record.prefix, record.key_id) : `external:${record.key_id}…`,
    issuer: record.issuer,
    source: record.source,
    algorithm: record.secret.algorithm,
    status: keyStatus(record, nowSeconds),
    service: record.service,
    consumer: record.consumer,
    metadata: record.metadata,
    expires_at: iso(record.expires_at),
    grace_until: iso(grace),
    last_used_at: iso(record.last_used_at),
    revoked_at: iso(record.revoked_at),
    created_at: iso(record.created_at)!,
    updated_at: iso(record.updated_at)!,
  };
}

function iso(seconds: number | null): string | null {
  return seconds === null ? null : new Date(seconds * 1000).toISOString();
}
