/**
 * The generated top-level endpoints (/services, /routes, /consumers, /plugins), on SQLite and on
 * PostgreSQL: the same requests, the same answers.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { createAdminHarness, type AdminHarness } from '../../test/support/admin-harness.js';

for (const dialect of DIALECTS) {
  describe(`Admin API entity endpoints on ${dialect}`, () => {
    let database: TestDatabase;
    let h: AdminHarness;

    before(async () => {
      database = await createTestDatabase(dialect);
      h = await createAdminHarness(database);
    });
    after(async () => {
      await h.close();
      await database.drop();
    });

    describe('201 / 200 / 204', () => {
      it('creates a service from a url and returns it with 201, its id and defaults', async () => {
        const res = await h.call('POST', '/services', { name: 'echo', url: 'https://echo.test:8443/base', tags: ['a'] });
        assert.equal(res.status, 201);
        assert.match(res.body.id, /^[0-9a-f-]{36}$/);
        assert.equal(res.body.protocol, 'https');
        assert.equal(res.body.host, 'echo.test');
        assert.equal(res.body.port, 8443);
        assert.equal(res.body.path, '/base');
        assert.equal(res.body.retries, 5);
        assert.deepEqual(res.body.tags, ['a']);
        assert.equal(typeof res.body.created_at, 'number');
        assert.equal(res.body.url, undefined, 'url is expanded, not stored');
      });

      it('reads an entity by name and by id alike', async () => {
        const byName = await h.call('GET', '/services/echo');
        assert.equal(byName.status, 200);
        const byId = await h.call('GET', `/services/${byName.body.id}`);
        assert.deepEqual(byId.body, byName.body);
        const upper = await h.call('GET', `/services/${String(byName.body.id).toUpperCase()}`);
        assert.equal(upper.body.id, byName.body.id);
      });

      it('reads a consumer by username', async () => {
        const created = await h.call('POST', '/consumers', { username: 'alice', custom_id: 'c-1' });
        assert.equal(created.status, 201);
        const res = await h.call('GET', '/consumers/alice');
        assert.equal(res.status, 200);
        assert.equal(res.body.id, created.body.id);
      });

      it('lists a collection as {data, offset, next}', async () => {
        const res = await h.call('GET', '/services');
        assert.equal(res.status, 200);
        assert.ok(Array.isArray(res.body.data));
        assert.ok(res.body.data.some((s: { name: string }) => s.name === 'echo'));
        assert.equal(res.body.offset, null);
        assert.equal(res.body.next, null);
      });

      it('creates with PUT by name (201), then replaces the whole entity (200, same id, defaults back)', async () => {
        const first = await h.call('PUT', '/services/put-me', { url: 'http://one.test', retries: 1 });
        assert.equal(first.status, 201);
        assert.equal(first.body.name, 'put-me');
        const second = await h.call('PUT', '/services/put-me', { url: 'http://two.test' });
        assert.equal(second.status, 200);
        assert.equal(second.body.id, first.body.id);
        assert.equal(second.body.host, 'two.test');
        assert.equal(second.body.retries, 5);
      });

      it('creates with PUT by id, keeping that id', async () => {
        const id = '3f2b8c4e-0d5a-4e8b-9c1d-2a3b4c5d6e7f';
        const res = await h.call('PUT', `/plugins/${id}`, { name: 'request-termination', config: { status_code: 503 } });
        assert.equal(res.status, 201);
        assert.equal(res.body.id, id);
        assert.equal((await h.call('PUT', `/plugins/${id}`, { name: 'request-termination' })).status, 200);
      });

      it('changes only the given fields with PATCH', async () => {
        const res = await h.call('PATCH', '/services/put-me', { retries: 2, tags: ['x'] });
        assert.equal(res.status, 200);
        assert.equal(res.body.retries, 2);
        assert.deepEqual(res.body.tags, ['x']);
        assert.equal(res.body.host, 'two.test');
      });

      it('renames with PATCH, after which the new name finds it', async () => {
        const res = await h.call('PATCH', '/consumers/alice', { username: 'alice2' });
        assert.equal(res.status, 200);
        assert.equal((await h.call('GET', '/consumers/alice2')).status, 200);
        assert.equal((await h.call('GET', '/consumers/alice')).status, 404);
      });

      it('deletes with 204 and no body, and answers 204 again when it is already gone', async () => {
        const res = await h.call('DELETE', '/services/put-me');
        assert.equal(res.status, 204);
        assert.equal(res.text, '');
        assert.equal((await h.call('GET', '/services/put-me')).status, 404);
        assert.equal((await h.call('DELETE', '/services/put-me')).status, 204);
      });

      it('creates a route referring to its service by name and shows the reference as {id}', async () => {
        const service = await h.call('GET', '/services/echo');
        const res = await h.call('POST', '/routes', {
          name: 'r-top',
          service: { name: 'echo' },
          paths: ['/top'],
          methods: ['GET'],
          hosts: ['Example.TEST'],
          headers: { 'X-Version': ['1'] },
          strip_path: false,
          preserve_host: true,
        });
        assert.equal(res.status, 201);
        assert.deepEqual(res.body.service, { id: service.body.id });
        assert.deepEqual(res.body.hosts, ['example.test']);
        assert.deepEqual(res.body.headers, { 'x-version': ['1'] });
        assert.equal(res.body.strip_path, false);
        assert.equal(res.body.preserve_host, true);
      });
    });

    describe('400', () => {
      it('names each bad field by its dotted path: bad url, bad port, unknown field', async () => {
        const res = await h.call('POST', '/services', { name: 'bad', url: 'ftp://x.test', port: 70000, colour: 'red' });
        assert.equal(res.status, 400);
        assert.equal(res.body.code, 'PC_VALIDATION_FAILED');
        const paths = res.body.fields.map((f: { path: string }) => f.path).sort();
        assert.deepEqual(paths, ['colour', 'port', 'url']);
        assert.match(res.body.message, /url/);
      });

      it('reports a nested field path (paths.0)', async () => {
        const res = await h.call('POST', '/routes', { name: 'r-bad', paths: ['no-slash'] });
        assert.equal(res.status, 400);
        assert.equal(res.body.fields[0].path, 'paths.0');
      });

      it('surfaces cross-field checks of the store with their field', async () => {
        const res = await h.call('POST', '/routes', { name: 'r-empty' });
        assert.equal(res.status, 400);
        assert.equal(res.body.fields[0].path, 'paths');
      });

      it('surfaces a plugin config rejected by the plugin schema with the config path', async () => {
        const res = await h.call('POST', '/plugins', { name: 'request-termination', config: { status_code: 1000 } });
        assert.equal(res.status, 400);
        assert.equal(res.body.code, 'PC_VALIDATION_FAILED');
        assert.deepEqual(res.body.fields, [{ path: 'config.status_code', message: 'must be an integer between 100 and 599' }]);
      });

      it('refuses a reference to a service that does not exist, naming the field', async () => {
        const res = await h.call('POST', '/routes', { name: 'r-orphan', service: { name: 'nope' }, paths: ['/o'] });
        assert.equal(res.status, 400);
        assert.equal(res.body.fields[0].path, 'service');
      });

      it('refuses a PUT whose body names the entity differently from the path', async () => {
        const res = await h.call('PUT', '/services/one-name', { name: 'other-name', url: 'http://x.test' });
        assert.equal(res.status, 400);
        assert.deepEqual(res.body.fields, [{ path: 'name', message: 'must match the name in the path' }]);
      });

      it('refuses a page size out of range, a non-integer size, an unknown parameter and a forged offset', async () => {
        for (const query of ['size=0', 'size=1001', 'size=ten']) {
          const res = await h.call('GET', `/services?${query}`);
          assert.equal(res.status, 400, query);
          assert.equal(res.body.fields[0].path, 'size');
        }
        const unknown = await h.call('GET', '/services?limit=5');
        assert.equal(unknown.body.fields[0].path, 'limit');
        const offset = await h.call('GET', '/services?offset=not-an-offset');
        assert.equal(offset.status, 400);
        assert.deepEqual(offset.body.fields, [{ path: 'offset', message: 'is not a valid offset' }]);
      });

      it('refuses a plugin path parameter that is not a UUID (plugins have no name key)', async () => {
        const res = await h.call('GET', '/plugins/not-a-uuid');
        assert.equal(res.status, 400);
        assert.deepEqual(res.body.fields, [{ path: 'plugin', message: 'must match format "uuid"' }]);
      });

      it('refuses a PATCH that sets a field to a wrong type', async () => {
        const res = await h.call('PATCH', '/services/echo', { retries: 'many' });
        assert.equal(res.status, 400);
        assert.equal(res.body.fields[0].path, 'retries');
      });
    });

    describe('404', () => {
      it('answers PC_NOT_FOUND for an unknown name or id on GET and PATCH', async () => {
        const byName = await h.call('GET', '/services/missing');
        assert.equal(byName.status, 404);
        assert.equal(byName.body.code, 'PC_NOT_FOUND');
        assert.match(byName.body.message, /missing/);
        assert.equal((await h.call('GET', '/consumers/6a1f5a2e-8f7c-4b5d-9e3a-1c2b3d4e5f60')).status, 404);
        assert.equal((await h.call('PATCH', '/services/missing', { retries: 1 })).status, 404);
      });
    });

    describe('409', () => {
      it('refuses a duplicate name with PC_STORE_UNIQUE_VIOLATION naming the field', async () => {
        const res = await h.call('POST', '/services', { name: 'echo', url: 'http://again.test' });
        assert.equal(res.status, 409);
        assert.equal(res.body.code, 'PC_STORE_UNIQUE_VIOLATION');
        assert.deepEqual(res.body.fields, [{ path: 'name', message: 'must be unique' }]);
      });

      it('refuses to delete a service its routes still use, and deletes nothing', async () => {
        const res = await h.call('DELETE', '/services/echo');
        assert.equal(res.status, 409);
        assert.equal(res.body.code, 'PC_STORE_REFERENCED');
        assert.equal((await h.call('GET', '/services/echo')).status, 200);
      });

      it('refuses a second plugin of the same name in the same scope', async () => {
        assert.equal((await h.call('POST', '/plugins', { name: 'key-auth', service: { name: 'echo' } })).status, 201);
        const res = await h.call('POST', '/plugins', { name: 'key-auth', service: { name: 'echo' } });
        assert.equal(res.status, 409);
      });
    });
  });
}
