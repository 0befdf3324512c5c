/**
 * Credentials: API keys (hash-only, DESIGN §3.1) and basic-auth credentials (argon2id password
 * hashes). No column ever holds a plaintext key or password.
 */
import type { Migration } from './migration.js';
import { columnTypes } from '../dialect.js';

export const migration0002Credentials: Migration = {
  name: '0002_credentials',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('api_keys')
      .addColumn('id', t.uuid, (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('display_name', 'text')
      // The public id: shown in listings and logs, never enough to use the key.
      .addColumn('key_id', 'text', (c) => c.notNull().unique())
      // How a presented key finds its row: `<prefix>_<public id>` for keys in our format whose
      // issuer stores them here, `sha256:<hex>` for imported or pushed keys.
      .addColumn('lookup', 'text', (c) => c.notNull().unique())
      .addColumn('issuer', 'text', (c) => c.notNull())
      .addColumn('prefix', 'text')
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('algorithm', 'text', (c) => c.notNull())
      .addColumn('salt', 'text')
      .addColumn('hash', 'text', (c) => c.notNull())
      // The secret replaced by the last regeneration, valid until prev_valid_until (grace period).
      .addColumn('prev_lookup', 'text', (c) => c.unique())
      .addColumn('prev_algorithm', 'text')
      .addColumn('prev_salt', 'text')
      .addColumn('prev_hash', 'text')
      .addColumn('prev_valid_until', t.bigint)
      .addColumn('service_id', t.uuid, (c) => c.references('services.id').onDelete('cascade'))
      .addColumn('consumer_id', t.uuid, (c) => c.references('consumers.id').onDelete('cascade'))
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('expires_at', t.bigint)
      .addColumn('revoked_at', t.bigint)
      .addColumn('last_used_at', t.bigint)
      .addColumn('metadata', t.json, (c) => c.notNull())
      // Names are unique per owner among keys that are not revoked.
      .addColumn('cache_key', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', t.bigint, (c) => c.notNull())
      .addColumn('updated_at', t.bigint, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('api_keys_service_id_idx').on('api_keys').column('service_id').execute();
    await db.schema.createIndex('api_keys_consumer_id_idx').on('api_keys').column('consumer_id').execute();
    await db.schema.createIndex('api_keys_status_idx').on('api_keys').column('status').execute();

    await db.schema
      .createTable('basicauth_credentials')
      .addColumn('id', t.uuid, (c) => c.primaryKey())
      .addColumn('consumer_id', t.uuid, (c) => c.notNull().references('consumers.id').onDelete('cascade'))
      .addColumn('username', 'text', (c) => c.notNull().unique())
      .addColumn('password', 'text', (c) => c.notNull())
      .addColumn('tags', t.json, (c) => c.notNull())
      .addColumn('created_at', t.bigint, (c) => c.notNull())
      .addColumn('updated_at', t.bigint, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('basicauth_credentials_consumer_id_idx').on('basicauth_credentials').column('consumer_id').execute();
  },
};
