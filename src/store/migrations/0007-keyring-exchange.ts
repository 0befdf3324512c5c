/**
 * The keyring exchange (Kong's cluster strategy): a node lacking keyring keys publishes an
 * ephemeral RSA public key here; a node holding them answers with the keys wrapped for that public
 * key (RSA-OAEP + AES-256-GCM), listed with their key check values. No key material in plaintext.
 */
import type { Migration } from './migration.js';
import { columnTypes } from '../dialect.js';

export const migration0007KeyringExchange: Migration = {
  name: '0007_keyring_exchange',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('keyring_exchange')
      // The asking process's instance id.
      .addColumn('requester', 'text', (c) => c.primaryKey())
      .addColumn('node_name', 'text', (c) => c.notNull())
      // PEM of the ephemeral RSA public key the answer is wrapped for.
      .addColumn('public_key', 'text', (c) => c.notNull())
      // JSON array of the key ids it lacks.
      .addColumn('wanted', t.json, (c) => c.notNull())
      .addColumn('requested_at', t.bigint, (c) => c.notNull())
      // The wrapped keyring (keyring-wrap envelope), once a node answered.
      .addColumn('answer', 'text')
      .addColumn('answered_by', 'text')
      .addColumn('answered_at', t.bigint)
      .execute();
  },
};
