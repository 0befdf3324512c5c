/**
 * Form bodies through a running node's Admin API (real HTTP): Kong's `curl --data` and `curl -F`
 * shapes create and change services, routes, plugins, consumers, certificates and API keys; values
 * are converted to each field's type (a plugin's config by its own schema), validated exactly like
 * JSON, and bounded like JSON.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../../../test/support/running-node.js';
import { createTestCa } from '../../../test/support/certificates.js';

type Json = Record<string, any>;

describe('Admin API form bodies', () => {
  let t: TestNode;
  let admin: string;

  const send = async (method: string, path: string, body: URLSearchParams | FormData | string, type?: string) => {
    const res = await fetch(`${admin}${path}`, { method, body, ...(type ? { headers: { 'content-type': type } } : {}) });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Json };
  };
  const form = (fields: [string, string][]) => new URLSearchParams(fields);

  before(async () => {
    t = await startTestNode('sqlite', { config: { admin_max_body_size: 64 * 1024 } });
    admin = `http://127.0.0.1:${t.node.adminAddress.port}`;
  });
  after(async () => t.close());

  it('creates a service from a urlencoded body, numbers and lists converted', async () => {
    const res = await send(
      'POST',
      '/services',
      form([
        ['name', 'web'],
        ['url', 'http://127.0.0.1:9/base'],
        ['retries', '3'],
        ['tags[]', 'a'],
        ['tags[]', 'b'],
      ]),
    );
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.retries, 3);
    assert.deepEqual(res.body.tags, ['a', 'b']);
    assert.equal(res.body.path, '/base');
  });

  it("creates a route with lists in both of Kong's spellings and a boolean", async () => {
    const body = form([
      ['name', 'r1'],
      ['paths[]', '/a'],
      ['paths[]', '/b'],
      ['methods', 'GET'],
      ['methods', 'POST'],
      ['hosts[2]', 'b.test'],
      ['hosts[1]', 'a.test'],
      ['strip_path', 'false'],
    ]);
    const res = await send('POST', '/services/web/routes', body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(res.body.paths, ['/a', '/b']);
    assert.deepEqual(res.body.methods, ['GET', 'POST']);
    assert.deepEqual(res.body.hosts, ['a.test', 'b.test']);
    assert.equal(res.body.strip_path, false);
  });

  it("converts a plugin's config by that plugin's schema", async () => {
    const body = form([
      ['name', 'key-auth'],
      ['config.key_names[]', 'apikey'],
      ['config.hide_credentials', 'false'],
      ['config.key_in_query', 'true'],
    ]);
    const res = await send('POST', '/routes/r1/plugins', body);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(res.body.config.key_names, ['apikey']);
    assert.equal(res.body.config.hide_credentials, false);
    assert.equal(res.body.config.key_in_query, true);
  });

  it('creates a consumer and a certificate from multipart bodies (file parts are text)', async () => {
    const consumer = new FormData();
    consumer.set('username', 'carol');
    consumer.set('custom_id', 'c-1');
    consumer.append('tags[]', 'team-a');
    const made = await send('POST', '/consumers', consumer);
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.deepEqual([made.body.username, made.body.custom_id, made.body.tags], ['carol', 'c-1', ['team-a']]);

    const leaf = await (await createTestCa({ name: 'Form CA' })).issue({ names: ['form.test'] });
    const certificate = new FormData();
    certificate.set('cert', new Blob([leaf.cert]), 'cert.pem');
    certificate.set('key', new Blob([leaf.key]), 'key.pem');
    certificate.append('snis[]', 'form.test');
    const res = await send('POST', '/certificates', certificate);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(res.body.snis, ['form.test']);
    assert.equal(res.body.key, null);
  });

  it('generates an API key from a form body', async () => {
    const res = await send('POST', '/services/web/api-keys', form([['name', 'from-form']]));
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.name, 'from-form');
    assert.match(res.body.api_key, /^pcg_/);
  });

  it('updates with PATCH and clears a field with an empty value, as Kong does', async () => {
    assert.equal((await send('PATCH', '/services/web', form([['retries', '7']]))).body.retries, 7);
    const cleared = await send('PATCH', '/routes/r1', form([['service', '']]));
    assert.equal(cleared.status, 200, JSON.stringify(cleared.body));
    assert.equal(cleared.body.service, null);
  });

  it('validates a form exactly like JSON: same code, same field path', async () => {
    const bad: [string, [string, string][], Json][] = [
      [
        'retries',
        [
          ['name', 'bad-1'],
          ['url', 'http://x.test'],
          ['retries', 'many'],
        ],
        { name: 'bad-1', url: 'http://x.test', retries: 'many' },
      ],
      [
        'url',
        [
          ['name', 'bad-2'],
          ['url', 'not a url'],
        ],
        { name: 'bad-2', url: 'not a url' },
      ],
      [
        'protocol',
        [
          ['name', 'bad-3'],
          ['protocol', 'gopher'],
          ['host', 'x.test'],
        ],
        { name: 'bad-3', protocol: 'gopher', host: 'x.test' },
      ],
    ];
    for (const [field, fields, json] of bad) {
      const viaForm = await send('POST', '/services', form(fields));
      const viaJson = await t.call('POST', '/services', json);
      assert.equal(viaForm.status, 400, field);
      assert.equal(viaForm.body.code, 'PC_VALIDATION_FAILED');
      assert.equal(viaForm.body.code, viaJson.body.code, field);
      assert.deepEqual(
        viaForm.body.fields.map((f: Json) => f.path),
        viaJson.body.fields.map((f: Json) => f.path),
        field,
      );
    }
    assert.equal((await t.call('GET', '/services?size=100')).body.data.filter((s: Json) => String(s.name).startsWith('bad-')).length, 0);
  });

  it('refuses prototype writes, an oversized body and a broken multipart body with clear codes', async () => {
    const proto = await send(
      'POST',
      '/consumers',
      form([
        ['username', 'p'],
        ['__proto__.admin', 'true'],
      ]),
    );
    assert.equal(proto.status, 400);
    assert.equal(proto.body.fields[0].path, '__proto__.admin');

    const big = new FormData();
    big.set('username', 'big');
    big.set('custom_id', new Blob(['x'.repeat(80 * 1024)]), 'big.txt');
    const tooLarge = await send('POST', '/consumers', big);
    assert.equal(tooLarge.status, 413);
    assert.equal(tooLarge.body.code, 'PC_BODY_TOO_LARGE');
    const tooLargeForm = await send('POST', '/consumers', form([['username', 'x'.repeat(80 * 1024)]]));
    assert.equal(tooLargeForm.status, 413);

    const broken = await send('POST', '/consumers', 'username=carol', 'multipart/form-data');
    assert.equal(broken.status, 400);
    assert.equal(broken.body.code, 'PC_BAD_REQUEST');
    assert.equal((await t.call('GET', '/consumers/big')).status, 404);
  });
});
