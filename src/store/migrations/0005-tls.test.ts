/**
 * Migration 0005 on a database of the previous release, on SQLite and PostgreSQL: rows written
 * before it get the new columns' defaults, and the new tables carry their foreign keys.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Migrator } from 'kysely';
import { DIALECTS, createTestDatabase } from '../../../test/support/databases.js';
import { createStore } from '../store.js';
import { TEST_CIPHER } from '../testing/test-cipher.js';
import { MIGRATIONS } from './index.js';

const SERVICE_ID = '1d2c3b4a-5f6e-4d7c-8b9a-0f1e2d3c4b5a';
const ROUTE_ID = '2e3d4c5b-6a7f-4e8d-9c0b-1a2f3e4d5c6b';
const MISSING_ID = '3f4e5d6c-7b8a-4f9e-8d1c-2b3a4f5e6d7c';

describe('migration 0005_tls', () => {
  for (const dialect of DIALECTS) {
    it(`adds the TLS tables and gives existing services and routes the defaults, on ${dialect}`, async () => {
      const database = await createTestDatabase(dialect);
      const store = createStore({ cipher: TEST_CIPHER, config: database.config });
      try {
        const previous = MIGRATIONS.filter((m) => m.name < '0005');
        const migrator = new Migrator({
          db: store.db,
          provider: { getMigrations: async () => Object.fromEntries(previous.map((m) => [m.name, { up: (d) => m.up(d, dialect) }])) },
          migrationTableName: 'schema_migrations',
          migrationLockTableName: 'schema_migrations_lock',
        });
        assert.equal((await migrator.migrateToLatest()).error, undefined);
        // Rows as the previous release wrote them.
        const bool = (b: boolean) => (dialect === 'sqlite' ? (b ? 1 : 0) : b);
        const timestamps = { created_at: 1_700_000_000, updated_at: 1_700_000_000 };
        await store.db
          .insertInto('services')
          .values({ id: SERVICE_ID, name: 'old', protocol: 'https', host: 'old.test', port: 443, retries: 5, enabled: bool(true), tags: '[]', ...timestamps })
          .execute();
        await store.db
          .insertInto('routes')
          .values({
            id: ROUTE_ID,
            name: 'old-route',
            service_id: SERVICE_ID,
            protocols: '["https"]',
            paths: '["/old"]',
            methods: '[]',
            hosts: '[]',
            headers: '{}',
            strip_path: bool(true),
            preserve_host: bool(false),
            regex_priority: 0,
            tags: '[]',
            ...timestamps,
          })
          .execute();
        assert.equal((await store.pendingMigrations())[0], '0005_tls');

        const result = await store.migrate();
        assert.equal(result.error, undefined);
        assert.equal(result.applied?.[0], '0005_tls');

        const service = await store.services.getOrFail('old');
        assert.deepEqual([service.tls_verify, service.tls_verify_depth, service.ca_certificates, service.client_certificate], [null, null, null, null]);
        assert.equal((await store.routes.getOrFail('old-route')).https_redirect_status_code, 426);
        // The old rows are writable through the new definitions.
        assert.equal((await store.services.update('old', { tls_verify_depth: 2 })).tls_verify_depth, 2);

        const tables = (await store.db.introspection.getTables()).map((t) => t.name);
        for (const table of ['certificates', 'snis', 'ca_certificates']) assert.ok(tables.includes(table), table);
        // Foreign keys the database itself holds: an SNI needs its certificate, a service's client certificate too.
        const sni = { id: MISSING_ID, name: 'orphan.test', certificate_id: MISSING_ID, tags: '[]', ...timestamps };
        await assert.rejects(store.db.insertInto('snis').values(sni).execute(), (err: { code?: string }) =>
          ['SQLITE_CONSTRAINT_FOREIGNKEY', '23503'].includes(err.code ?? ''),
        );
        await assert.rejects(
          store.db.updateTable('services').set({ client_certificate_id: MISSING_ID }).where('id', '=', SERVICE_ID).execute(),
          (err: { code?: string }) => ['SQLITE_CONSTRAINT_FOREIGNKEY', '23503'].includes(err.code ?? ''),
        );
      } finally {
        await store.close();
        await database.drop();
      }
    });
  }
});
