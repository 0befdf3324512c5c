/** The warn line of an accepted write whose response carries warnings, and the silence of every other answer. */
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import Type from 'typebox';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { createAdminHarness, type AdminHarness } from '../../test/support/admin-harness.js';
import { createLogger } from '../observability/logger.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import type { AdminRoutes } from './admin-server.js';

const Body = Type.Object({ warnings: Type.Array(Type.String()), fail: Type.Optional(Type.Boolean()) });

/** Answers with the warnings it is sent, by every method. */
const echoRoutes: AdminRoutes = (app) => {
  for (const method of ['POST', 'PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/echo-warnings',
      schema: { body: Body },
      handler: async (request, reply) => {
        const { warnings, fail } = request.body as { warnings: string[]; fail?: boolean };
        if (fail) throw new PortcullisError('PC_VALIDATION_FAILED', { fields: [{ path: 'fail', message: 'was asked to' }] });
        return reply.code(method === 'POST' ? 201 : 200).send({ id: 'e-1', warnings });
      },
    });
  }
  app.get('/echo-warnings', async () => ({ id: 'e-1', warnings: ['cert expires in 3 days'] }));
};

describe('write warnings', () => {
  let database: TestDatabase;
  let h: AdminHarness;
  const lines: string[] = [];
  const warnLines = () => lines.filter((l) => l.includes('admin write accepted with warnings')).map((l) => JSON.parse(l));

  before(async () => {
    database = await createTestDatabase('sqlite');
    const destination = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    h = await createAdminHarness(database, { extraRoutes: [echoRoutes], logger: createLogger({ level: 'info', destination }) });
  });
  beforeEach(() => {
    lines.length = 0;
  });
  after(async () => {
    await h.close();
    await database.drop();
  });

  for (const method of ['POST', 'PUT', 'PATCH']) {
    it(`logs one warn line for a ${method} answered with warnings, naming the route and the entity`, async () => {
      const res = await h.call(method, '/echo-warnings', { warnings: ['cert expires in 3 days'] });
      assert.ok(res.status < 300);
      const [line, ...more] = warnLines();
      assert.equal(more.length, 0);
      assert.equal(line.level, 'warn');
      assert.deepEqual([line.method, line.route, line.id, line.warnings], [method, '/echo-warnings', 'e-1', ['cert expires in 3 days']]);
    });
  }

  it('logs nothing for a read that shows warnings, a write without any, or a refused write', async () => {
    assert.equal((await h.call('GET', '/echo-warnings')).status, 200);
    assert.equal((await h.call('POST', '/echo-warnings', { warnings: [] })).status, 201);
    assert.equal((await h.call('POST', '/echo-warnings', { warnings: ['x'], fail: true })).status, 400);
    assert.equal((await h.call('POST', '/services', { name: 'no-warnings', url: 'http://x.test' })).status, 201);
    assert.deepEqual(warnLines(), []);
  });
});
