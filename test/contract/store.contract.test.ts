/**
 * The store contract: the same assertions against SQLite and a real PostgreSQL.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createStore, type Store } from '../../src/store/store.js';
import type { ClusterEvent } from '../../src/store/cluster-events.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';
import { TEST_CIPHER } from '../../src/store/testing/test-cipher.js';
import { rejectsWith } from '../support/assertions.js';

for (const dialect of DIALECTS) {
  describe(`store contract on ${dialect}`, () => {
    let database: TestDatabase;
    let store: Store;
    const committed: ClusterEvent[] = [];

    before(async () => {
      database = await createTestDatabase(dialect);
      store = createStore({
        cipher: TEST_CIPHER,
        config: database.config,
        nodeId: 'node-a',
        hooks: {
          plugins: (entity) =>
            entity['name'] === 'forbidden-plugin' ? { entity, errors: [{ path: 'name', message: 'is not installed' }] } : { entity, errors: [] },
        },
      });
      const result = await store.migrate();
      assert.equal(result.error, undefined);
      store.onCommit((events) => committed.push(...events));
    });
    after(async () => {
      await store.close();
      await database.drop();
    });

    it('applies every migration once and reports none pending', async () => {
      assert.deepEqual(await store.pendingMigrations(), []);
      const again = await store.migrate();
      assert.deepEqual(again.applied, []);
      assert.ok((await store.migrationStatus()).every((m) => m.executedAt instanceof Date));
    });

    it('expands a service url into protocol, host, port and path', async () => {
      const svc = await store.services.insert({ name: 'echo', url: 'https://example.test:8443/base' });
      assert.equal(svc.protocol, 'https');
      assert.equal(svc.host, 'example.test');
      assert.equal(svc.port, 8443);
      assert.equal(svc.path, '/base');
      assert.equal(svc.enabled, true);
      assert.deepEqual(svc.tags, []);
      assert.equal(svc.connect_timeout, null);
      const plain = await store.services.insert({ name: 'plain', url: 'http://127.0.0.1' });
      assert.equal(plain.port, 80);
      assert.equal(plain.path, null);
    });

    it('finds an entity by id and by name', async () => {
      const byName = await store.services.getOrFail('echo');
      const byId = await store.services.getOrFail(byName.id);
      assert.deepEqual(byId, byName);
      assert.equal(await store.services.get('missing'), null);
      await rejectsWith(store.services.getOrFail('missing'), 'PC_NOT_FOUND');
    });

    it('refuses a duplicate name with PC_STORE_UNIQUE_VIOLATION naming the field', async () => {
      const err = await rejectsWith(store.services.insert({ name: 'echo', url: 'http://a.test' }), 'PC_STORE_UNIQUE_VIOLATION');
      assert.equal(err.status, 409);
      assert.deepEqual(err.fields, [{ path: 'name', message: 'must be unique' }]);
    });

    it('resolves a foreign reference given by name and refuses one that does not exist', async () => {
      const route = await store.routes.insert({ name: 'r1', service: { name: 'echo' }, paths: ['/echo'] });
      assert.deepEqual(route.service, { id: (await store.services.getOrFail('echo')).id });
      assert.deepEqual(route.methods, []);
      assert.equal(route.strip_path, true);
      const err = await rejectsWith(store.routes.insert({ name: 'r2', service: { name: 'nope' }, paths: ['/x'] }), 'PC_VALIDATION_FAILED');
      assert.equal(err.fields?.[0]?.path, 'service');
    });

    it('checks cross-field rules', async () => {
      const err = await rejectsWith(store.routes.insert({ name: 'empty' }), 'PC_VALIDATION_FAILED');
      assert.match(err.fields?.[0]?.message ?? '', /at least one of paths/);
      await rejectsWith(store.routes.insert({ name: 'badre', paths: ['~/(unclosed'] }), 'PC_VALIDATION_FAILED');
    });

    it('runs the prepare hook of the composition root', async () => {
      const err = await rejectsWith(store.plugins.insert({ name: 'forbidden-plugin' }), 'PC_VALIDATION_FAILED');
      assert.equal(err.fields?.[0]?.path, 'name');
    });

    it('updates with PATCH semantics, keeping created_at', async () => {
      const before = await store.services.getOrFail('plain');
      const updated = await store.services.update('plain', { retries: 2, tags: ['a'] });
      assert.equal(updated.retries, 2);
      assert.deepEqual(updated.tags, ['a']);
      assert.equal(updated.host, before.host);
      assert.equal(updated.created_at, before.created_at);
    });

    it('upserts by name: creates, then replaces whole', async () => {
      const first = await store.services.upsert('put-me', { url: 'http://one.test', retries: 1 });
      assert.equal(first.created, true);
      assert.equal(first.entity.name, 'put-me');
      const second = await store.services.upsert('put-me', { url: 'http://two.test' });
      assert.equal(second.created, false);
      assert.equal(second.entity.id, first.entity.id);
      assert.equal(second.entity.host, 'two.test');
      assert.equal(second.entity.retries, 5, 'fields absent from a PUT go back to their defaults');
    });

    it('keeps plugin configurations unique per name and scope, nulls included', async () => {
      await store.plugins.insert({ name: 'request-termination', config: {} });
      await rejectsWith(store.plugins.insert({ name: 'request-termination', config: {} }), 'PC_STORE_UNIQUE_VIOLATION');
      await store.plugins.insert({ name: 'request-termination', service: { name: 'echo' } });
    });

    it('refuses to delete a service that routes use, and cascades its plugins', async () => {
      await rejectsWith(store.services.delete('echo'), 'PC_STORE_REFERENCED');
      assert.ok(await store.services.get('echo'), 'nothing was deleted');
      await store.routes.delete('r1');
      const echoId = (await store.services.getOrFail('echo')).id;
      committed.length = 0;
      assert.equal(await store.services.delete('echo'), true);
      assert.equal(await store.services.get('echo'), null);
      const left = await store.plugins.listAll({ service: echoId });
      assert.deepEqual(left, []);
      assert.deepEqual(
        committed.map((e) => [e.entity, e.operation]),
        [
          ['plugins', 'delete'],
          ['services', 'delete'],
        ],
      );
      assert.equal(await store.services.delete('echo'), false);
    });

    it('pages through a listing with an opaque offset, without duplicates', async () => {
      for (let i = 0; i < 25; i++) await store.consumers.insert({ username: `user-${i}` });
      const seen = new Set<string>();
      let offset: string | undefined;
      let pages = 0;
      do {
        const page = await store.consumers.list({ size: 10, ...(offset ? { offset } : {}) });
        for (const c of page.data) seen.add(c.id);
        offset = page.offset ?? undefined;
        pages++;
      } while (offset);
      assert.equal(seen.size, 25);
      assert.equal(pages, 3);
      await rejectsWith(store.consumers.list({ offset: 'not-an-offset' }), 'PC_VALIDATION_FAILED');
    });

    it('records a cluster event in the same transaction as each write', async () => {
      const before = await store.events.latestId();
      const c = await store.consumers.insert({ username: 'evented' });
      await store.consumers.update(c.id, { custom_id: 'x1' });
      await store.consumers.delete(c.id);
      const events = await store.events.since(before);
      assert.deepEqual(
        events.map((e) => [e.entity, e.entity_id, e.operation, e.node_id]),
        [
          ['consumers', c.id, 'create', 'node-a'],
          ['consumers', c.id, 'update', 'node-a'],
          ['consumers', c.id, 'delete', 'node-a'],
        ],
      );
    });

    it('leaves nothing behind when a transaction fails half-way', async () => {
      const before = await store.events.latestId();
      committed.length = 0;
      await assert.rejects(
        store.transaction(async () => {
          await store.consumers.insert({ username: 'half-written' });
          throw new Error('boom');
        }),
        /boom/,
      );
      assert.equal(await store.consumers.get('half-written'), null);
      assert.equal(await store.events.latestId(), before);
      assert.deepEqual(committed, [], 'no event is published for a rolled-back write');
    });

    it('refuses a duplicate inside a transaction without losing earlier committed data', async () => {
      await store.consumers.insert({ username: 'keeper' });
      await rejectsWith(
        store.transaction(async () => {
          await store.consumers.insert({ username: 'temp' });
          await store.consumers.insert({ username: 'keeper' });
        }),
        'PC_STORE_UNIQUE_VIOLATION',
      );
      assert.ok(await store.consumers.get('keeper'));
      assert.equal(await store.consumers.get('temp'), null);
    });

    it('prunes old cluster events', async () => {
      const removed = await store.events.prune(Date.now() + 1000);
      assert.ok(removed > 0);
      assert.equal((await store.events.since(0)).length, 0);
    });
  });
}

describe('migrations', () => {
  for (const dialect of DIALECTS) {
    it(`leave no half-applied schema when one fails, on ${dialect}`, async () => {
      const { MIGRATIONS } = await import('../../src/store/migrations/index.js');
      const { Migrator } = await import('kysely');
      const database = await createTestDatabase(dialect);
      const store = createStore({ cipher: TEST_CIPHER, config: database.config });
      try {
        const migrations = Object.fromEntries(
          [
            ...MIGRATIONS,
            {
              name: '9999_broken',
              up: async (db: any) => {
                await db.schema.createTable('half_done').addColumn('id', 'integer').execute();
                throw new Error('broken migration');
              },
            },
          ].map((m) => [m.name, { up: (d: any) => m.up(d, dialect) }]),
        );
        const migrator = new Migrator({
          db: store.db,
          provider: { getMigrations: async () => migrations },
          migrationTableName: 'schema_migrations',
          migrationLockTableName: 'schema_migrations_lock',
        });
        const { error } = await migrator.migrateToLatest();
        assert.match(String(error), /broken migration/);
        const tables = (await store.db.introspection.getTables()).map((t) => t.name);
        assert.ok(!tables.includes('half_done'), 'the failed migration left nothing');
        assert.ok(!tables.includes('services'), 'the migrations of the same run were rolled back with it');
        assert.deepEqual(
          await store.pendingMigrations(),
          MIGRATIONS.map((m) => m.name),
        );
      } finally {
        await store.close();
        await database.drop();
      }
    });
  }
});
