/**
 * `/openapi.json`: a parseable OpenAPI 3.1 document listing the core paths, every one of them
 * actually served, with the TypeBox schemas the routes validate with.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Type from 'typebox';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { createMetrics } from '../observability/metrics.js';
import { ServiceInput } from '../entities/services.js';
import { createAdminHarness, type AdminHarness } from '../../test/support/admin-harness.js';
import type { AdminRoutes } from './admin-server.js';
import { openApiPath } from './openapi-document.js';
import { constUnionsAsEnums } from './openapi-schema-view.js';

type Operation = { parameters: { name: string; in: string }[]; requestBody?: unknown; responses: Record<string, unknown>; security?: unknown[] };
type Document = {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

const Widget = Type.Object({ colour: Type.String() }, { additionalProperties: false });
const widgetRoutes: AdminRoutes = (app, kit) => {
  kit.nameSchema(Widget, 'Widget');
  app.post('/widgets', { schema: { tags: ['widgets'], body: Widget, response: { 201: Widget } } }, async (request, reply) =>
    reply.code(201).send(request.body),
  );
  app.get('/hidden', { schema: { hide: true } as object }, async () => ({}));
};

describe('Admin API OpenAPI document', () => {
  let database: TestDatabase;
  let h: AdminHarness;
  let doc: Document;

  before(async () => {
    database = await createTestDatabase('sqlite');
    h = await createAdminHarness(database, {
      extraRoutes: [widgetRoutes],
      metrics: createMetrics({ collectProcessMetrics: false }),
      // A wildcard bind: the document names the loopback address as the default host.
      config: { admin_listen: '0.0.0.0:9123' },
    });
    const res = await h.call('GET', '/openapi.json');
    assert.equal(res.status, 200);
    doc = JSON.parse(res.text) as Document;
  });
  after(async () => {
    await h.close();
    await database.drop();
  });

  describe('200', () => {
    it('is an OpenAPI 3.1 document', () => {
      assert.equal(doc.openapi, '3.1.0');
      assert.ok(doc.components.securitySchemes['bearer']);
    });

    it("names this node's own Admin API listener as its server, not an example address", () => {
      const servers = (doc as unknown as { servers: { url: string; variables: { host: { default: string } } }[] }).servers;
      assert.deepEqual(
        servers.map((s) => s.url.replace('{host}', s.variables.host.default)),
        ['http://127.0.0.1:9123'],
      );
    });

    it('lists the core, nested and node paths', () => {
      for (const path of [
        '/services',
        '/services/{service}',
        '/routes',
        '/routes/{route}',
        '/consumers',
        '/consumers/{consumer}',
        '/plugins',
        '/plugins/{plugin}',
        '/services/{service}/routes',
        '/services/{service}/routes/{route}',
        '/services/{service}/plugins',
        '/routes/{route}/plugins',
        '/consumers/{consumer}/plugins/{plugin}',
        '/routes/{route}/service',
        '/',
        '/status',
        '/status/ready',
        '/metrics',
        '/openapi.json',
      ]) {
        assert.ok(doc.paths[path], `${path} is documented`);
      }
      assert.deepEqual(Object.keys(doc.paths['/services/{service}']!).sort(), ['delete', 'get', 'patch', 'put']);
    });

    it('documents only routes that are served', () => {
      for (const [path, operations] of Object.entries(doc.paths)) {
        const url = path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
        for (const method of Object.keys(operations)) {
          assert.ok(h.app.hasRoute({ method: method.toUpperCase() as 'GET', url }), `${method.toUpperCase()} ${url} is registered`);
        }
      }
    });

    it('uses the entity input schemas for request bodies and names them as components', () => {
      const post = doc.paths['/services']!['post']!;
      const body = post.requestBody as { required: boolean; content: Record<string, { schema: unknown; example: unknown }> };
      assert.equal(body.required, true);
      assert.deepEqual(body.content['application/json']!.schema, { $ref: '#/components/schemas/ServiceInput' });
      assert.ok('example' in body.content['application/json']!);
      // Kong's form bodies are read too, with the same schema (form-body-parser.ts).
      assert.deepEqual(Object.keys(body.content), ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data']);
      for (const media of Object.values(body.content)) assert.deepEqual(media.schema, { $ref: '#/components/schemas/ServiceInput' });
      // The same schema, its unions of constants shown as `enum`.
      const shown = JSON.parse(JSON.stringify(ServiceInput)) as unknown;
      constUnionsAsEnums(shown);
      assert.deepEqual(doc.components.schemas['ServiceInput'], shown);
      assert.ok(doc.components.schemas['Service']);
      assert.ok(doc.components.schemas['ServiceList']);
      assert.ok(doc.components.schemas['Error']);
      assert.ok(post.responses['201']);
      assert.ok(post.responses['409']);
      assert.ok(post.responses['415']);
    });

    it('documents path and query parameters', () => {
      const list = doc.paths['/services/{service}/routes']!['get']!;
      assert.deepEqual(
        list.parameters.map((p) => `${p.in}:${p.name}`),
        ['path:service', 'query:size', 'query:offset', 'query:tags'],
      );
    });

    it('marks the readiness probe as open and the rest as needing the token', () => {
      assert.deepEqual(doc.paths['/status/ready']!['get']!.security, []);
      assert.equal(doc.paths['/status']!['get']!.security, undefined);
      assert.ok(doc.paths['/status']!['get']!.responses['401']);
    });

    it('includes routes added through extraRoutes, with their named schemas, and leaves out hidden ones', () => {
      assert.ok(doc.paths['/widgets']?.['post']);
      assert.deepEqual(doc.components.schemas['Widget'], JSON.parse(JSON.stringify(Widget)));
      assert.equal(doc.paths['/hidden'], undefined);
    });
  });

  describe('openApiPath', () => {
    it('turns Fastify parameters into OpenAPI templates', () => {
      assert.equal(openApiPath('/services/:service/routes/:route'), '/services/{service}/routes/{route}');
      assert.equal(openApiPath('/'), '/');
    });
  });
});
