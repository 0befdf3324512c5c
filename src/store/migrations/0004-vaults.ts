/**
 * Secrets management: vault entities (a prefix, a backend and its config, whose credential fields
 * are keyring-encrypted inside the JSON), and the built-in `store` backend's secrets: one row per
 * version, the value encrypted by the keyring with the vault and key bound as AAD.
 */
import type { Migration } from './migration.js';
import { columnTypes } from '../dialect.js';

export const migration0004Vaults: Migration = {
  name: '0004_vaults',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('vaults')
      .addColumn('id', t.uuid, (c) => c.primaryKey())
      .addColumn('prefix', 'text', (c) => c.notNull().unique())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('description', 'text')
      .addColumn('config', t.json, (c) => c.notNull())
      .addColumn('tags', t.json, (c) => c.notNull())
      .addColumn('created_at', t.bigint, (c) => c.notNull())
      .addColumn('updated_at', t.bigint, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('vault_secrets')
      // Derived from (vault_id, key, version) (vault-secret-dao.ts), so the value's AAD
      // `vault_secrets|value|<id>` binds the vault, the key and the version.
      .addColumn('id', t.uuid, (c) => c.primaryKey())
      .addColumn('vault_id', t.uuid, (c) => c.notNull().references('vaults.id').onDelete('cascade'))
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addColumn('created_at', t.bigint, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('vault_secrets_key_idx').on('vault_secrets').columns(['vault_id', 'key', 'version']).unique().execute();
  },
};
