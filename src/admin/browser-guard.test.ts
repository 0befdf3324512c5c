/**
 * The Admin API out of a browser's reach: without a token only loopback Host values are
 * answered (a forged Host over a real socket included); state-changing requests from another
 * site are refused by Origin or Sec-Fetch-Site, per method; CORS preflights are answered only
 * for listed origins; all of it before the token check and before the body is read.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { createAdminHarness, type AdminHarness } from '../../test/support/admin-harness.js';
import { featureRoutes } from '../../test/support/feature-routes.js';

const TOKEN = 'browser-guard-test-token-0123456789abcdef';
const LISTED = 'https://ui.example.com';
const HOST = 'localhost:8001';
const SELF = `http://${HOST}`;

/** A raw HTTP request on a real socket; resolves with the status and body. */
function rawRequest(port: number, head: string): Promise<{ status: number; body: string; raw: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${head}\r\nConnection: close\r\n\r\n`));
    let raw = '';
    socket.on('data', (d) => (raw += String(d)));
    socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1] ?? 0), body: raw.slice(raw.indexOf('\r\n\r\n') + 4), raw }));
    socket.on('error', reject);
  });
}

const corsHeaders = (headers: Record<string, unknown>) => Object.keys(headers).filter((h) => h.startsWith('access-control-'));

describe('Admin API browser guard', () => {
  let database: TestDatabase;
  let open: AdminHarness;
  let guarded: AdminHarness;

  before(async () => {
    database = await createTestDatabase('sqlite');
    open = await createAdminHarness(database, { config: { admin_listen: '127.0.0.1:0', admin_cors_origins: [LISTED] }, extraRoutes: featureRoutes() });
    guarded = await createAdminHarness(database, { config: { admin_token: TOKEN, admin_cors_origins: [LISTED] } });
    assert.equal((await open.call('POST', '/services', { name: 'orders', url: 'http://orders.test' })).status, 201);
  });
  after(async () => {
    await open.close();
    await guarded.close();
    await database.drop();
  });

  describe('403 PC_ADMIN_HOST_REFUSED without a token, for a Host that is not loopback', () => {
    const allowed = ['localhost', HOST, 'LOCALHOST:8001', 'admin.localhost:8001', '127.0.0.1', '127.0.0.1:8001', '127.9.8.7:1', '[::1]', '[::1]:8001'];
    for (const host of allowed) {
      it(`answers Host ${host}`, async () => {
        assert.equal((await open.call('GET', '/services', undefined, { host })).status, 200);
      });
    }

    const refused = [
      'evil.com',
      'evil.com:8001',
      'localhost.evil.com',
      'localhost.evil.com:8001',
      '127.0.0.1.nip.io',
      '127.0.0.1.nip.io:8001',
      '10.0.0.1',
      '0.0.0.0:8001',
      'localhost.',
      '[::ffff:127.0.0.1]',
    ];
    for (const host of refused) {
      it(`refuses Host ${host} on reads and writes`, async () => {
        for (const [method, url, body] of [
          ['GET', '/services', undefined],
          ['GET', '/status', undefined],
          ['POST', '/consumers', { username: 'rebound' }],
          ['DELETE', '/services/orders', undefined],
          ['OPTIONS', '/services', undefined],
        ] as const) {
          const res = await open.call(method, url, body, { host });
          assert.equal(res.status, 403, `${method} ${url}`);
          assert.equal(res.body.code, 'PC_ADMIN_HOST_REFUSED');
        }
        assert.equal((await open.call('GET', '/services/orders')).status, 200, 'nothing was deleted');
      });
    }

    it('leaves the readiness probe open whatever the Host', async () => {
      assert.equal((await open.call('GET', '/status/ready', undefined, { host: 'lb.internal:8001' })).status, 200);
    });

    it('does not check Host when a token is configured (a page cannot send the token)', async () => {
      const res = await guarded.call('GET', '/services', undefined, { host: 'admin.example.com', authorization: `Bearer ${TOKEN}` });
      assert.equal(res.status, 200);
    });

    it('refuses a forged Host over a real socket, and HTTP/1.0 without Host', async () => {
      const { port } = await open.server.listen();
      for (const host of ['evil.com', `localhost.evil.com:${port}`, `127.0.0.1.nip.io:${port}`]) {
        const res = await rawRequest(port, `GET /services HTTP/1.1\r\nHost: ${host}`);
        assert.equal(res.status, 403, host);
        assert.equal(JSON.parse(res.body).code, 'PC_ADMIN_HOST_REFUSED');
      }
      const noHost = await rawRequest(port, 'GET /services HTTP/1.0');
      assert.equal(noHost.status, 403);
      const noHost11 = await rawRequest(port, 'GET /services HTTP/1.1');
      assert.equal(noHost11.status, 400, 'HTTP/1.1 requires Host');
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
        assert.equal((await rawRequest(port, `GET /services HTTP/1.1\r\nHost: ${host}`)).status, 200, host);
      }
    });
  });

  describe('403 PC_ADMIN_CROSS_SITE_REFUSED for state-changing requests from another site', () => {
    const WRITES: readonly [method: string, url: string, body: unknown][] = [
      ['POST', '/consumers', { username: 'csrf' }],
      ['PUT', '/consumers/csrf', {}],
      ['PATCH', '/services/orders', { retries: 1 }],
      ['DELETE', '/services/orders', undefined],
      ['POST', '/services/orders/api-keys', {}],
    ];
    const refused: [string, Record<string, string>][] = [
      ['a foreign Origin', { origin: 'http://evil.com' }],
      ['Origin null', { origin: 'null' }],
      ['an Origin under the same name on another port', { origin: 'http://localhost:9999' }],
      ['an Origin under the same name with another scheme', { origin: 'https://localhost:8001' }],
      ['an Origin that only starts like this one', { origin: 'http://localhost:8001.evil.com' }],
      ['Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site' }],
      ['Sec-Fetch-Site same-site', { 'sec-fetch-site': 'same-site' }],
      ['Sec-Fetch-Site cross-site with a same-origin Origin', { 'sec-fetch-site': 'cross-site', origin: SELF }],
      ['Sec-Fetch-Site same-origin with a foreign Origin', { 'sec-fetch-site': 'same-origin', origin: 'http://evil.com' }],
    ];
    for (const [method, url, body] of WRITES) {
      it(`refuses ${method} ${url} with ${refused.length} cross-site header combinations`, async () => {
        for (const [name, headers] of refused) {
          const res = await open.call(method, url, body, { host: HOST, ...headers });
          assert.equal(res.status, 403, `${name}: ${res.text}`);
          assert.equal(res.body.code, 'PC_ADMIN_CROSS_SITE_REFUSED', name);
          assert.deepEqual(corsHeaders(res.headers), [], name);
        }
        assert.equal((await open.call('GET', '/consumers/csrf')).status, 404, 'nothing was written');
        assert.equal((await open.call('GET', '/services/orders')).body.retries, 5);
      });
    }

    const firstParty: [string, Record<string, string>][] = [
      ['no Origin and no Sec-Fetch-Site (curl, SDKs)', {}],
      ['its own Origin', { origin: SELF }],
      ['its own Origin and Sec-Fetch-Site same-origin', { origin: SELF, 'sec-fetch-site': 'same-origin' }],
      ['Sec-Fetch-Site none (typed by the user)', { 'sec-fetch-site': 'none' }],
      ['a listed Origin, cross-site', { origin: LISTED, 'sec-fetch-site': 'cross-site' }],
    ];
    for (const [name, headers] of firstParty) {
      it(`accepts a write with ${name}`, async () => {
        const res = await open.call('PATCH', '/services/orders', { retries: 5 }, { host: HOST, ...headers });
        assert.equal(res.status, 200, res.text);
      });
    }

    it('lets reads through from any site (the browser keeps the answer from the page)', async () => {
      for (const method of ['GET', 'HEAD']) {
        const res = await open.call(method, '/services', undefined, { host: HOST, origin: 'http://evil.com', 'sec-fetch-site': 'cross-site' });
        assert.equal(res.status, 200, method);
        assert.deepEqual(corsHeaders(res.headers), [], method);
      }
    });

    it('answers before the token check and before the body is read', async () => {
      const res = await guarded.call('POST', '/consumers', 'x'.repeat(4 << 20), { origin: 'http://evil.com', 'content-type': 'text/plain' });
      assert.equal(res.status, 403);
      assert.equal(res.body.code, 'PC_ADMIN_CROSS_SITE_REFUSED');
    });

    // Form bodies are accepted (Kong's `curl --data`), so what keeps a cross-site HTML form out is
    // the guard: browsers send Origin and Sec-Fetch-Site on every cross-site form post.
    it('refuses a cross-site form post by its Origin or Sec-Fetch-Site, whatever the form encoding', async () => {
      const forms = [
        ['application/x-www-form-urlencoded', 'username=form'],
        ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="username"\r\n\r\nform\r\n--x--'],
        ['text/plain', 'username=form'],
      ] as const;
      const browsers: Record<string, string>[] = [
        { origin: 'http://evil.com' },
        { 'sec-fetch-site': 'cross-site' },
        { origin: 'null' },
        { origin: 'http://evil.com', 'sec-fetch-site': 'same-site' },
      ];
      for (const [type, body] of forms) {
        for (const headers of browsers) {
          const res = await open.call('POST', '/consumers', body, { host: HOST, 'content-type': type, ...headers });
          assert.equal(res.status, 403, `${type} ${JSON.stringify(headers)}`);
          assert.equal(res.body.code, 'PC_ADMIN_CROSS_SITE_REFUSED');
        }
      }
      assert.equal((await open.call('GET', '/consumers/form')).status, 404);
    });

    it('refuses what a no-cors fetch can send as text (415), even without Origin', async () => {
      for (const [type, body] of [
        ['text/plain', '{"username":"form"}'],
        ['text/plain', ''],
      ] as const) {
        for (const url of ['/consumers', '/services/orders/api-keys/k/regenerate']) {
          const res = await open.call('POST', url, body, { host: HOST, 'content-type': type });
          assert.equal(res.status, 415, `${type} ${url}`);
          assert.equal(res.body.code, 'PC_UNSUPPORTED_MEDIA_TYPE');
        }
      }
    });
  });

  describe('CORS preflights', () => {
    const preflight = (h: AdminHarness, origin: string, url = '/consumers', method = 'POST') =>
      h.call('OPTIONS', url, undefined, {
        host: HOST,
        origin,
        'access-control-request-method': method,
        'access-control-request-headers': 'content-type, authorization',
      });

    it('answers a listed origin with 204 and the allowed methods and headers, without a token', async () => {
      for (const h of [open, guarded]) {
        for (const [url, method] of [
          ['/consumers', 'POST'],
          ['/services/orders', 'DELETE'],
          ['/no/such/path', 'PUT'],
        ] as const) {
          const res = await preflight(h, LISTED, url, method);
          assert.equal(res.status, 204, url);
          assert.equal(res.headers['access-control-allow-origin'], LISTED);
          assert.equal(res.headers['access-control-allow-methods'], 'GET, HEAD, POST, PUT, PATCH, DELETE');
          assert.equal(res.headers['access-control-allow-headers'], 'authorization, content-type, portcullis-admin-token');
          assert.equal(res.headers['access-control-max-age'], '600');
          assert.equal(res.headers['vary'], 'Origin');
          assert.equal(res.headers['access-control-allow-credentials'], undefined);
        }
      }
    });

    it('refuses any other origin with 403 and no CORS header', async () => {
      for (const h of [open, guarded]) {
        for (const origin of ['http://evil.com', 'https://ui.example.com.evil.com', 'http://ui.example.com', 'https://UI.example.com', 'null', SELF]) {
          const res = await preflight(h, origin);
          assert.equal(res.status, 403, origin);
          assert.equal(res.body.code, 'PC_ADMIN_CROSS_SITE_REFUSED');
          assert.deepEqual(corsHeaders(res.headers), [], origin);
        }
      }
    });

    it('refuses every preflight when no origin is listed', async () => {
      const bare = await createAdminHarness(database);
      try {
        const res = await preflight(bare, LISTED);
        assert.equal(res.status, 403);
        assert.deepEqual(corsHeaders(res.headers), []);
        assert.equal(res.headers['vary'], undefined);
      } finally {
        await bare.close();
      }
    });

    it('treats OPTIONS without Access-Control-Request-Method as an ordinary request', async () => {
      const res = await open.call('OPTIONS', '/consumers', undefined, { host: HOST, origin: LISTED });
      assert.equal(res.status, 405);
    });
  });

  describe('responses to a listed origin', () => {
    it('carry Access-Control-Allow-Origin and Vary: Origin, errors included', async () => {
      const cases: [AdminHarness, string, string, number][] = [
        [open, 'GET', '/services', 200],
        [open, 'POST', '/consumers', 400],
        [open, 'GET', '/no/such/path', 404],
        [guarded, 'GET', '/services', 401],
      ];
      for (const [h, method, url, status] of cases) {
        const res = await h.call(method, url, method === 'POST' ? { nope: 1 } : undefined, { host: HOST, origin: LISTED });
        assert.equal(res.status, status, `${method} ${url}`);
        assert.equal(res.headers['access-control-allow-origin'], LISTED, `${method} ${url}`);
        assert.equal(res.headers['vary'], 'Origin');
      }
    });

    it('vary on Origin for every client once origins are listed, and name no origin to others', async () => {
      const res = await open.call('GET', '/services', undefined, { host: HOST });
      assert.equal(res.headers['vary'], 'Origin');
      assert.equal(res.headers['access-control-allow-origin'], undefined);
    });
  });
});
