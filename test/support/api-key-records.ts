/**
 * Stored API-key records for tests that write through the DAO directly (store, keyring and rewrap
 * suites): a consumer's active sha256 key with random hash and salt, optionally with a previous
 * secret still in its grace period. Override any field.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { ApiKeyRecord, ApiKeySecret } from '../../src/entities/api-keys.js';

export interface TestKeyOptions {
  /** Give the key a previous secret (valid far into the future). */
  readonly withPrevious?: boolean;
  /** The salt of each secret (default: 16 random bytes in hex; null for none). */
  readonly salt?: string | null;
}

function testSecret(lookupId: string, salt: string | null | undefined): ApiKeySecret {
  return {
    lookup: `pcg_${lookupId}`,
    algorithm: 'sha256',
    salt: salt === undefined ? randomBytes(16).toString('hex') : salt,
    hash: randomBytes(32).toString('hex'),
  };
}

export function testApiKeyRecord(consumerId: string, options: TestKeyOptions = {}, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  const keyId = randomBytes(8).toString('hex');
  return {
    id: randomUUID(),
    name: `key-${keyId}`,
    display_name: null,
    key_id: keyId,
    secret: testSecret(keyId, options.salt),
    previous: options.withPrevious ? { ...testSecret(`${keyId}p`, options.salt), valid_until: 9_999_999_999 } : null,
    issuer: 'portcullis',
    prefix: 'pcg',
    source: 'generated',
    service: null,
    consumer: { id: consumerId },
    status: 'active',
    expires_at: null,
    revoked_at: null,
    last_used_at: null,
    metadata: {},
    created_at: 1,
    updated_at: 1,
    ...overrides,
  };
}
