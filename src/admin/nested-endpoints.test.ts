/**
 * Nested endpoints: children listed, created and changed under their parent's path, and never
 * reachable through another parent. Run on SQLite and PostgreSQL (writes check and act in one
 * transaction, which each dialect must honour).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { createAdminHarness, type AdminHarness } from '../../test/support/admin-harness.js';

for (const dialect of DIALECTS) {
  describe(`Admin API nested endpoints on ${dialect}`, () => {
    let database: TestDatabase;
    let h: AdminHarness;
    let echoId: string;
    let otherId: string;

    before(async () => {
      database = await createTestDatabase(dialect);
      h = await createAdminHarness(database);
      echoId = (await h.call('POST', '/services', { name: 'echo', url: 'http://echo.test' })).body.id;
      otherId = (await h.call('POST', '/services', { name: 'other', url: 'http://other.test' })).body.id;
      await h.call('POST', '/services/other/routes', { name: 'other-route', paths: ['/other'] });
      await h.call('POST', '/consumers', { username: 'alice' });
    });
    after(async () => {
      await h.close();
      await database.drop();
    });

    describe('201 / 200 / 204', () => {
      it('creates a route under a service, taking the service from the path', async () => {
        const res = await h.call('POST', '/services/echo/routes', { name: 'r1', paths: ['/r1'] });
        assert.equal(res.status, 201);
        assert.deepEqual(res.body.service, { id: echoId });
      });

      it('accepts a body naming the same service as the path, by name or by id', async () => {
        assert.equal((await h.call('POST', '/services/echo/routes', { name: 'r2', paths: ['/r2'], service: { name: 'echo' } })).status, 201);
        assert.equal((await h.call('POST', `/services/${echoId}/routes`, { name: 'r3', paths: ['/r3'], service: { id: echoId } })).status, 201);
      });

      it("lists only the parent's children", async () => {
        const res = await h.call('GET', '/services/echo/routes');
        assert.equal(res.status, 200);
        assert.deepEqual(res.body.data.map((r: { name: string }) => r.name).sort(), ['r1', 'r2', 'r3']);
        const other = await h.call('GET', `/services/${otherId}/routes`);
        assert.deepEqual(
          other.body.data.map((r: { name: string }) => r.name),
          ['other-route'],
        );
      });

      it('reads, replaces (PUT 200) and updates (PATCH 200) a child through its parent', async () => {
        const read = await h.call('GET', '/services/echo/routes/r1');
        assert.equal(read.status, 200);
        const put = await h.call('PUT', '/services/echo/routes/r1', { paths: ['/r1-new'] });
        assert.equal(put.status, 200);
        assert.equal(put.body.id, read.body.id);
        assert.deepEqual(put.body.paths, ['/r1-new']);
        assert.deepEqual(put.body.service, { id: echoId }, 'a PUT under a parent keeps the parent');
        const patch = await h.call('PATCH', '/services/echo/routes/r1', { methods: ['GET'] });
        assert.equal(patch.status, 200);
        assert.deepEqual(patch.body.methods, ['GET']);
      });

      it('creates a child with PUT by name under its parent (201)', async () => {
        const res = await h.call('PUT', '/services/echo/routes/r-put', { paths: ['/put'] });
        assert.equal(res.status, 201);
        assert.equal(res.body.name, 'r-put');
        assert.deepEqual(res.body.service, { id: echoId });
      });

      it('scopes plugins to a service, a route and a consumer through their paths', async () => {
        const onService = await h.call('POST', '/services/echo/plugins', { name: 'key-auth' });
        assert.equal(onService.status, 201);
        assert.deepEqual(onService.body.service, { id: echoId });
        const onRoute = await h.call('POST', '/routes/r1/plugins', { name: 'key-auth' });
        assert.equal(onRoute.status, 201);
        assert.equal(onRoute.body.route.id, (await h.call('GET', '/routes/r1')).body.id);
        const onConsumer = await h.call('POST', '/consumers/alice/plugins', { name: 'request-termination' });
        assert.equal(onConsumer.status, 201);
        assert.equal((await h.call('GET', '/consumers/alice/plugins')).body.data.length, 1);
        assert.equal((await h.call('GET', `/consumers/alice/plugins/${onConsumer.body.id}`)).status, 200);
      });

      it('returns the service a route belongs to at /routes/{route}/service', async () => {
        const res = await h.call('GET', '/routes/r1/service');
        assert.equal(res.status, 200);
        assert.equal(res.body.id, echoId);
        assert.equal(res.body.name, 'echo');
      });

      it('deletes a child through its parent with 204, and 204 again once it is gone', async () => {
        assert.equal((await h.call('DELETE', '/services/echo/routes/r-put')).status, 204);
        assert.equal((await h.call('GET', '/routes/r-put')).status, 404);
        assert.equal((await h.call('DELETE', '/services/echo/routes/r-put')).status, 204);
      });
    });

    describe('400', () => {
      it('refuses a body that names another service than the path', async () => {
        const res = await h.call('POST', '/services/echo/routes', { name: 'r-x', paths: ['/x'], service: { name: 'other' } });
        assert.equal(res.status, 400);
        assert.equal(res.body.code, 'PC_VALIDATION_FAILED');
        assert.deepEqual(res.body.fields, [{ path: 'service', message: 'must be the service in the path, or absent' }]);
        const byId = await h.call('PATCH', '/services/echo/routes/r1', { service: { id: otherId } });
        assert.equal(byId.status, 400);
        const nulled = await h.call('PUT', '/services/echo/routes/r1', { paths: ['/r1'], service: null });
        assert.equal(nulled.status, 400);
        assert.equal((await h.call('GET', '/routes/r-x')).status, 404, 'nothing was created');
      });

      it('validates the child body like the top-level endpoint does', async () => {
        const res = await h.call('POST', '/services/echo/routes', { name: 'r-bad', paths: ['nope'] });
        assert.equal(res.status, 400);
        assert.equal(res.body.fields[0].path, 'paths.0');
      });
    });

    describe('404', () => {
      it('answers 404 for a missing parent, on every method', async () => {
        assert.equal((await h.call('GET', '/services/missing/routes')).status, 404);
        assert.equal((await h.call('POST', '/services/missing/routes', { paths: ['/m'] })).status, 404);
        assert.equal((await h.call('GET', '/services/missing/routes/r1')).status, 404);
        assert.equal((await h.call('DELETE', '/services/missing/routes/r1')).status, 404);
      });

      it('answers 404 for a child of another parent, and leaves it untouched', async () => {
        assert.equal((await h.call('GET', '/services/echo/routes/other-route')).status, 404);
        assert.equal((await h.call('PATCH', '/services/echo/routes/other-route', { paths: ['/hijack'] })).status, 404);
        assert.equal((await h.call('PUT', '/services/echo/routes/other-route', { paths: ['/hijack'] })).status, 404);
        assert.equal((await h.call('DELETE', '/services/echo/routes/other-route')).status, 404);
        const route = await h.call('GET', '/routes/other-route');
        assert.equal(route.status, 200);
        assert.deepEqual(route.body.paths, ['/other']);
        assert.deepEqual(route.body.service, { id: otherId });
      });

      it('answers 404 at /routes/{route}/service for a route without a service', async () => {
        await h.call('POST', '/routes', { name: 'lonely', paths: ['/lonely'] });
        const res = await h.call('GET', '/routes/lonely/service');
        assert.equal(res.status, 404);
        assert.equal(res.body.code, 'PC_NOT_FOUND');
      });
    });

    describe('409', () => {
      it('refuses to delete a service that still has routes', async () => {
        const res = await h.call('DELETE', '/services/other');
        assert.equal(res.status, 409);
        assert.equal(res.body.code, 'PC_STORE_REFERENCED');
      });

      it('refuses a duplicate child name under a parent', async () => {
        const res = await h.call('POST', '/services/echo/routes', { name: 'r1', paths: ['/dup'] });
        assert.equal(res.status, 409);
        assert.equal(res.body.code, 'PC_STORE_UNIQUE_VIOLATION');
      });
    });
  });
}
