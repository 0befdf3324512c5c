/**
 * The Admin API's house rules, whatever the route: JSON-only bodies within the size limit,
 * JSON errors for unknown paths and methods, no internals in a 500, routes added through
 * `extraRoutes` treated like the built-in ones, and a log line per request without secrets.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import Type from 'typebox';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { createLogger } from '../observability/logger.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import { createAdminHarness, type AdminHarness } from '../../test/support/admin-harness.js';
import { ErrorResponses, ListQuery, ListResponse, PathParams, daoFor, listBody, pageOptions, pathParam, type AdminRoutes, type PageQuery } from './index.js';

const TOKEN = 'test-admin-token-0123456789-abcdefghij';
const AUTH = { authorization: `Bearer ${TOKEN}` };

const Note = Type.Object({ text: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false });

/** A feature's resource, as a later feature would add one. */
const noteRoutes: AdminRoutes = (app, kit) => {
  const consumers = kit.resource('consumers');
  kit.nameSchema(Note, 'Note');
  app.post(
    '/consumers/:consumer/notes',
    {
      schema: {
        tags: ['notes'],
        summary: 'Add a note',
        params: PathParams({ [consumers.param]: consumers.idParam }),
        body: Note,
        response: { 201: Note, ...ErrorResponses(400, 404) },
      },
    },
    async (request, reply) => {
      await daoFor(kit.store, 'consumers').getOrFail(pathParam(request, consumers.param));
      return reply.code(201).send(request.body);
    },
  );
  app.get('/notes', { schema: { tags: ['notes'], querystring: ListQuery, response: { 200: ListResponse(Note) } } }, async (request) => {
    const options = pageOptions(request.query as PageQuery);
    return listBody({ data: [{ text: 'a' }], offset: null }, request, options.size);
  });
  app.get('/boom', async () => {
    throw new Error('database password is hunter2 at /srv/portcullis/secret.ts:12');
  });
  app.get('/teapot', async () => {
    throw new PortcullisError('PC_STORE_UNAVAILABLE');
  });
};

describe('Admin API server', () => {
  let database: TestDatabase;
  let h: AdminHarness;
  const logLines: string[] = [];

  before(async () => {
    database = await createTestDatabase('sqlite');
    const destination = new Writable({
      write(chunk, _enc, done) {
        logLines.push(String(chunk));
        done();
      },
    });
    h = await createAdminHarness(database, {
      config: { admin_token: TOKEN, admin_max_body_size: 1024, admin_listen: '127.0.0.1:0', max_header_size: 2048 },
      extraRoutes: [noteRoutes],
      logger: createLogger({ level: 'debug', destination }),
    });
    await h.call('POST', '/consumers', { username: 'alice' }, AUTH);
  });
  after(async () => {
    await h.close();
    await database.drop();
  });

  describe('201 / 200 for routes added through extraRoutes', () => {
    it('validates, authenticates and answers a feature route like a built-in one', async () => {
      const res = await h.call('POST', '/consumers/alice/notes', { text: 'hello' }, AUTH);
      assert.equal(res.status, 201);
      assert.deepEqual(res.body, { text: 'hello' });
      const listed = await h.call('GET', '/notes?size=5', undefined, AUTH);
      assert.deepEqual(listed.body, { data: [{ text: 'a' }], offset: null, next: null });
    });

    it('accepts application/json with a charset', async () => {
      const res = await h.call('POST', '/consumers', '{"username":"bob"}', { ...AUTH, 'content-type': 'application/json; charset=utf-8' });
      assert.equal(res.status, 201);
    });
  });

  describe('400', () => {
    it('answers PC_BAD_REQUEST for a body that is not valid JSON, without quoting it', async () => {
      const res = await h.call('POST', '/consumers', '{"username": "x", "token": "s3cr3t"', AUTH);
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'PC_BAD_REQUEST');
      assert.doesNotMatch(res.text, /s3cr3t/);
    });

    it('answers PC_BAD_REQUEST for an empty JSON body and for a missing body', async () => {
      const empty = await h.call('POST', '/consumers', '', { ...AUTH, 'content-type': 'application/json' });
      assert.equal(empty.status, 400);
      assert.equal(empty.body.code, 'PC_BAD_REQUEST');
      const missing = await h.call('POST', '/consumers', undefined, AUTH);
      assert.equal(missing.status, 400);
      assert.equal(missing.body.code, 'PC_BAD_REQUEST');
    });

    it('refuses a body with __proto__ or constructor.prototype (prototype poisoning)', async () => {
      const res = await h.call('POST', '/consumers', '{"username":"p","__proto__":{"admin":true}}', AUTH);
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'PC_BAD_REQUEST');
      const viaConstructor = await h.call('POST', '/consumers', '{"username":"p","constructor":{"prototype":{"admin":true}}}', AUTH);
      assert.equal(viaConstructor.status, 400);
    });

    it('validates the params and body of a feature route with dotted paths', async () => {
      const res = await h.call('POST', '/consumers/alice/notes', { text: '', extra: 1 }, AUTH);
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.fields.map((f: { path: string }) => f.path).sort(), ['extra', 'text']);
    });

    it('answers PC_BAD_REQUEST for a badly percent-encoded path', async () => {
      const res = await h.call('GET', '/services/%E0%A4%A', undefined, AUTH);
      assert.equal(res.status, 400);
      assert.equal(res.body.code, 'PC_BAD_REQUEST');
    });
  });

  describe('404 / 405', () => {
    it('answers PC_NOT_FOUND as JSON for an unknown path', async () => {
      const res = await h.call('GET', '/no/such/thing', undefined, AUTH);
      assert.equal(res.status, 404);
      assert.equal(res.body.code, 'PC_NOT_FOUND');
      assert.match(String(res.headers['content-type']), /^application\/json/);
    });

    it('answers a missing parent of a feature route with 404', async () => {
      const res = await h.call('POST', '/consumers/nobody/notes', { text: 'x' }, AUTH);
      assert.equal(res.status, 404);
    });

    it('answers PC_METHOD_NOT_ALLOWED with an Allow header when the path exists with other methods', async () => {
      const res = await h.call('POST', '/status', { a: 1 }, AUTH);
      assert.equal(res.status, 405);
      assert.equal(res.body.code, 'PC_METHOD_NOT_ALLOWED');
      assert.equal(res.headers['allow'], 'GET, HEAD');
      const item = await h.call('POST', '/services/echo', { a: 1 }, AUTH);
      assert.equal(item.status, 405);
      assert.equal(item.headers['allow'], 'DELETE, GET, HEAD, PATCH, PUT');
    });
  });

  describe('413', () => {
    it('refuses a body larger than admin_max_body_size with PC_BODY_TOO_LARGE', async () => {
      const res = await h.call('POST', '/consumers', { username: 'big', tags: ['x'.repeat(2000)] }, AUTH);
      assert.equal(res.status, 413);
      assert.equal(res.body.code, 'PC_BODY_TOO_LARGE');
    });
  });

  describe('415', () => {
    for (const [type, body] of [
      ['text/plain', 'username=carol'],
      ['application/xml', '<consumer/>'],
      ['application/octet-stream', 'username=carol'],
    ] as const) {
      it(`refuses a ${type.split(';')[0]} body with PC_UNSUPPORTED_MEDIA_TYPE`, async () => {
        const res = await h.call('POST', '/consumers', body, { ...AUTH, 'content-type': type });
        assert.equal(res.status, 415);
        assert.equal(res.body.code, 'PC_UNSUPPORTED_MEDIA_TYPE');
      });
    }

    it('refuses non-JSON bodies on PUT and PATCH too', async () => {
      assert.equal((await h.call('PUT', '/consumers/alice', 'x', { ...AUTH, 'content-type': 'text/plain' })).status, 415);
      assert.equal((await h.call('PATCH', '/consumers/alice', 'x', { ...AUTH, 'content-type': 'text/plain' })).status, 415);
    });
  });

  describe('431', () => {
    it('answers oversized request headers with PC_HEADERS_TOO_LARGE as JSON', async () => {
      const { port } = await h.server.listen();
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(`GET /status HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`);
        });
        let data = '';
        socket.on('data', (d) => (data += String(d)));
        socket.on('close', () => resolve(data));
        socket.on('error', reject);
      });
      assert.match(raw, /^HTTP\/1\.1 431 /);
      assert.match(raw, /"code":"PC_HEADERS_TOO_LARGE"/);
    });
  });

  describe('500 / 503', () => {
    it('answers an unexpected error with PC_INTERNAL, no stack and no detail, and logs it', async () => {
      const res = await h.call('GET', '/boom', undefined, AUTH);
      assert.equal(res.status, 500);
      assert.deepEqual(res.body, { code: 'PC_INTERNAL', message: 'An unexpected error occurred' });
      assert.ok(logLines.some((l) => l.includes('"level":"error"') && l.includes('admin request failed')));
    });

    it('passes a store outage through as 503 PC_STORE_UNAVAILABLE', async () => {
      const res = await h.call('GET', '/teapot', undefined, AUTH);
      assert.equal(res.status, 503);
      assert.equal(res.body.code, 'PC_STORE_UNAVAILABLE');
    });
  });

  describe('logging', () => {
    it('logs one line per request with route and status, and never the admin token or a body', async () => {
      logLines.length = 0;
      await h.call('POST', '/consumers', { username: 'logged', custom_id: 'body-marker-42' }, AUTH);
      await h.call('GET', '/consumers/logged', undefined, { 'portcullis-admin-token': TOKEN });
      const lines = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === 'admin request');
      assert.equal(lines.length, 2);
      assert.deepEqual(
        lines.map((l) => [l['method'], l['route'], l['status']]),
        [
          ['POST', '/consumers', 201],
          ['GET', '/consumers/:consumer', 200],
        ],
      );
      const all = logLines.join('\n');
      assert.ok(!all.includes(TOKEN), 'the token is never logged');
      assert.ok(!all.includes('body-marker-42'), 'bodies are never logged');
    });
  });
});
