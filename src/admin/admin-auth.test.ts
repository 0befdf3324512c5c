/**
 * The admin token: required on every route but the readiness probe when configured, accepted in
 * either header, compared exactly, checked before the body is read; and not asked for when no
 * token is configured (loopback only, enforced by the config loader).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { createAdminHarness, type AdminHarness } from '../../test/support/admin-harness.js';
import { presentedToken, tokensEqual } from './admin-auth.js';

const TOKEN = 'correct-horse-battery-staple-42-and-more';

describe('Admin API authentication', () => {
  let database: TestDatabase;
  let h: AdminHarness;

  before(async () => {
    database = await createTestDatabase('sqlite');
    h = await createAdminHarness(database, { config: { admin_token: TOKEN, admin_max_body_size: 1024 } });
  });
  after(async () => {
    await h.close();
    await database.drop();
  });

  describe('200 with the token', () => {
    it('accepts Authorization: Bearer <token>, whatever the scheme case', async () => {
      assert.equal((await h.call('GET', '/services', undefined, { authorization: `Bearer ${TOKEN}` })).status, 200);
      assert.equal((await h.call('GET', '/services', undefined, { authorization: `bearer ${TOKEN}` })).status, 200);
    });

    it('accepts Portcullis-Admin-Token: <token>', async () => {
      assert.equal((await h.call('GET', '/services', undefined, { 'Portcullis-Admin-Token': TOKEN })).status, 200);
    });

    it('prefers Portcullis-Admin-Token when Authorization carries other credentials', async () => {
      const res = await h.call('GET', '/services', undefined, { authorization: 'Basic dXNlcjpwYXNz', 'portcullis-admin-token': TOKEN });
      assert.equal(res.status, 200);
    });

    it('leaves /status/ready open for load balancers', async () => {
      assert.equal((await h.call('GET', '/status/ready')).status, 200);
    });
  });

  describe('401', () => {
    const routes: [string, string][] = [
      ['GET', '/services'],
      ['GET', '/services/x/routes'],
      ['DELETE', '/consumers/x'],
      ['GET', '/status'],
      ['GET', '/metrics'],
      ['GET', '/openapi.json'],
      ['GET', '/'],
      ['GET', '/no-such-path'],
    ];
    for (const [method, url] of routes) {
      it(`refuses ${method} ${url} without a token, with a Bearer challenge`, async () => {
        const res = await h.call(method, url);
        assert.equal(res.status, 401);
        assert.equal(res.body.code, 'PC_ADMIN_UNAUTHORIZED');
        assert.equal(res.headers['www-authenticate'], 'Bearer realm="portcullis-admin"');
      });
    }

    it('refuses a wrong token, a prefix of the token, the token with extra characters, and another case', async () => {
      for (const wrong of ['nope', TOKEN.slice(0, -1), `${TOKEN}x`, TOKEN.toUpperCase()]) {
        const bearer = await h.call('GET', '/services', undefined, { authorization: `Bearer ${wrong}` });
        assert.equal(bearer.status, 401, wrong);
        const header = await h.call('GET', '/services', undefined, { 'portcullis-admin-token': wrong });
        assert.equal(header.status, 401, wrong);
      }
    });

    it('refuses the token under another scheme', async () => {
      assert.equal((await h.call('GET', '/services', undefined, { authorization: `Basic ${TOKEN}` })).status, 401);
      assert.equal((await h.call('GET', '/services', undefined, { authorization: TOKEN })).status, 401);
    });

    it('answers before reading the body: an oversized, non-JSON body still gets 401', async () => {
      const res = await h.call('POST', '/services', 'x'.repeat(4096), { 'content-type': 'text/plain' });
      assert.equal(res.status, 401);
    });

    it('never echoes a presented token', async () => {
      const res = await h.call('GET', '/services', undefined, { authorization: 'Bearer leaked-value-123' });
      assert.doesNotMatch(res.text, /leaked-value-123/);
    });
  });

  describe('without a configured token', () => {
    it('answers every route without credentials', async () => {
      const open = await createAdminHarness(database);
      try {
        assert.equal((await open.call('GET', '/services')).status, 200);
      } finally {
        await open.close();
      }
    });
  });

  describe('tokensEqual and presentedToken', () => {
    it('compares exactly, whatever the lengths', () => {
      assert.equal(tokensEqual(TOKEN, TOKEN), true);
      assert.equal(tokensEqual('', TOKEN), false);
      assert.equal(tokensEqual(`${TOKEN}${TOKEN}`, TOKEN), false);
      assert.equal(tokensEqual('é', 'e'), false);
    });

    it('reads the dedicated header first, then a Bearer authorization', () => {
      assert.equal(presentedToken({ 'portcullis-admin-token': 'a', authorization: 'Bearer b' }), 'a');
      assert.equal(presentedToken({ authorization: 'Bearer b' }), 'b');
      assert.equal(presentedToken({ authorization: 'Bearer' }), undefined);
      assert.equal(presentedToken({}), undefined);
    });
  });
});
