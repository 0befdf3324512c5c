/**
 * The schema endpoints through a running node: each entity's create schema, plugins' config
 * schemas, and validation that answers exactly what a create would (same 400, same field paths)
 * while writing nothing.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../../../test/support/running-node.js';
import { createTestCa } from '../../../test/support/certificates.js';

type Json = Record<string, any>;

describe('schema endpoints', () => {
  let t: TestNode;

  before(async () => {
    t = await startTestNode('sqlite');
    assert.equal((await t.call('POST', '/services', { name: 'web', url: 'http://127.0.0.1:9' })).status, 201);
  });
  after(async () => t.close());

  it('serves the create schema of every entity', async () => {
    for (const [entity, field] of [
      ['services', 'url'],
      ['routes', 'paths'],
      ['consumers', 'username'],
      ['plugins', 'config'],
      ['certificates', 'cert'],
      ['snis', 'name'],
      ['ca_certificates', 'cert'],
    ]) {
      const res = await t.call('GET', `/schemas/${entity}`);
      assert.equal(res.status, 200, entity);
      assert.equal(res.body.entity, entity);
      assert.equal(res.body.schema.type, 'object', entity);
      assert.ok(res.body.schema.properties[field!], `${entity}.${field}`);
    }
    assert.equal((await t.call('GET', '/schemas/nothing')).status, 404);
  });

  it("serves a plugin's config schema; an unknown plugin is 404", async () => {
    const res = await t.call('GET', '/schemas/plugins/key-auth');
    assert.equal(res.status, 200);
    assert.equal(res.body.name, 'key-auth');
    assert.ok(res.body.schema.properties.key_names);
    const unknown = await t.call('GET', '/schemas/plugins/no-such-plugin');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'PC_NOT_FOUND');
  });

  it('accepts a valid body with 200 and writes nothing', async () => {
    const cases: [string, Json, string][] = [
      ['/schemas/services/validate', { name: 'checked', url: 'http://x.test' }, '/services/checked'],
      ['/schemas/routes/validate', { name: 'checked-route', paths: ['/c'], service: { name: 'web' } }, '/routes/checked-route'],
      ['/schemas/consumers/validate', { username: 'checked-user' }, '/consumers/checked-user'],
      ['/schemas/plugins/validate', { name: 'key-auth', service: { name: 'web' }, config: { key_names: ['k'] } }, '/services/web/plugins'],
    ];
    for (const [url, body, probe] of cases) {
      const res = await t.call('POST', url, body);
      assert.equal(res.status, 200, `${url}: ${res.text}`);
      assert.equal(res.body.message, 'schema validation successful');
      const after = await t.call('GET', probe);
      assert.ok(after.status === 404 || (after.status === 200 && after.body.data?.length === 0), `${probe} was written`);
    }
  });

  it('refuses an invalid body exactly as a create would: same code, same field paths', async () => {
    const leaf = await (await createTestCa({ name: 'Schema CA' })).issue({ names: ['s.test'] });
    const other = await (await createTestCa({ name: 'Other CA' })).issue({ names: ['s.test'] });
    const cases: [string, string, Json][] = [
      ['services', '/services', { name: 'bad', url: 'http://x.test', port: 70000 }],
      ['services', '/services', { name: 'bad', url: 'not a url' }],
      ['routes', '/routes', { name: 'bad-route', paths: ['/x'], service: { name: 'missing' } }],
      ['routes', '/routes', { name: 'bad-route', paths: ['no-slash'] }],
      ['consumers', '/consumers', { custom_id: '' }],
      ['certificates', '/certificates', { cert: leaf.cert, key: other.key }],
      ['plugins', '/plugins', { name: 'key-auth', config: { key_names: [] } }],
      ['plugins', '/plugins', { name: 'no-such-plugin' }],
      ['plugins', '/plugins', { name: 'key-auth', config: { colour: 'red' } }],
    ];
    for (const [entity, create, body] of cases) {
      const checked = await t.call('POST', `/schemas/${entity}/validate`, body);
      const created = await t.call('POST', create, body);
      assert.equal(checked.status, 400, `${entity} ${JSON.stringify(body).slice(0, 80)}: ${checked.text}`);
      assert.equal(created.status, 400, created.text);
      assert.equal(checked.body.code, created.body.code);
      assert.deepEqual(
        checked.body.fields?.map((f: Json) => f.path),
        created.body.fields?.map((f: Json) => f.path),
        `${entity} ${JSON.stringify(body).slice(0, 80)}`,
      );
    }
  });
});
