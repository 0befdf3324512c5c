/**
 * The keyring's metadata (never key material): which keys exist, their check values, which one is
 * active, how many encryptions each made; the recovery copy of the keyring (wrapped under
 * `keyring_recovery_public_key`); and the state of the rewrap, so a restarted node resumes it.
 */
import type { Migration } from './migration.js';
import { columnTypes } from '../dialect.js';

export const migration0003Keyring: Migration = {
  name: '0003_keyring',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('keyring_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      // First 8 hex of HMAC-SHA256(key, "portcullis-kcv"): compares keys without revealing them.
      .addColumn('kcv', 'text', (c) => c.notNull())
      .addColumn('active', t.boolean, (c) => c.notNull())
      .addColumn('encryptions', t.bigint, (c) => c.notNull())
      .addColumn('created_at', t.bigint, (c) => c.notNull())
      .addColumn('activated_at', t.bigint)
      .execute();
    await db.schema
      .createTable('keyring_blobs')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('blob', 'text', (c) => c.notNull())
      .addColumn('updated_at', t.bigint, (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('keyring_rewrap')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('target_key', 'text', (c) => c.notNull())
      .addColumn('total', t.bigint, (c) => c.notNull())
      .addColumn('done', t.bigint, (c) => c.notNull())
      .addColumn('failed', t.bigint, (c) => c.notNull())
      // Where to continue: {"column": <index in store.encryptedColumns>, "after": <last row id>}.
      .addColumn('cursor', 'text', (c) => c.notNull())
      .addColumn('started_at', t.bigint, (c) => c.notNull())
      .addColumn('updated_at', t.bigint, (c) => c.notNull())
      .addColumn('finished_at', t.bigint)
      .addColumn('owner', 'text')
      .execute();
  },
};
