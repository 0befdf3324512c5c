/**
 * TLS: certificates (their keys keyring-encrypted, `$ke$…` in a text column), the SNIs naming
 * them, CA certificates (unique by the SHA-256 of their DER), the services' upstream TLS settings
 * (null on existing rows: the defaults) and the routes' `https_redirect_status_code` (426 on
 * existing rows). Each column is added on its own: SQLite adds one per ALTER TABLE.
 */
import type { Migration } from './migration.js';
import { columnTypes } from '../dialect.js';

export const migration0005Tls: Migration = {
  name: '0005_tls',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('certificates')
      .addColumn('id', t.uuid, (c) => c.primaryKey())
      .addColumn('cert', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('cert_alt', 'text')
      .addColumn('key_alt', 'text')
      .addColumn('tags', t.json, (c) => c.notNull())
      .addColumn('created_at', t.bigint, (c) => c.notNull())
      .addColumn('updated_at', t.bigint, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('snis')
      .addColumn('id', t.uuid, (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('certificate_id', t.uuid, (c) => c.notNull().references('certificates.id').onDelete('cascade'))
      .addColumn('tags', t.json, (c) => c.notNull())
      .addColumn('created_at', t.bigint, (c) => c.notNull())
      .addColumn('updated_at', t.bigint, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('snis_certificate_id_idx').on('snis').column('certificate_id').execute();

    await db.schema
      .createTable('ca_certificates')
      .addColumn('id', t.uuid, (c) => c.primaryKey())
      .addColumn('cert', 'text', (c) => c.notNull())
      .addColumn('cert_digest', 'text', (c) => c.notNull().unique())
      .addColumn('tags', t.json, (c) => c.notNull())
      .addColumn('created_at', t.bigint, (c) => c.notNull())
      .addColumn('updated_at', t.bigint, (c) => c.notNull())
      .execute();

    await db.schema.alterTable('services').addColumn('tls_verify', t.boolean).execute();
    await db.schema.alterTable('services').addColumn('tls_verify_depth', 'integer').execute();
    // Ids of ca_certificates: no foreign key can hold a list; the store checks them (entity-dao.ts).
    await db.schema.alterTable('services').addColumn('ca_certificates', t.json).execute();
    await db.schema
      .alterTable('services')
      .addColumn('client_certificate_id', t.uuid, (c) => c.references('certificates.id').onDelete('restrict'))
      .execute();
    await db.schema.createIndex('services_client_certificate_id_idx').on('services').column('client_certificate_id').execute();

    await db.schema
      .alterTable('routes')
      .addColumn('https_redirect_status_code', 'integer', (c) => c.notNull().defaultTo(426))
      .execute();
  },
};
