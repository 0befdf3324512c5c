/**
 * Admin API bodies nested too deep: refused with 400 PC_VALIDATION_FAILED naming the path, on
 * every route that takes a body, at several depths and shapes, up to half a million levels in
 * a 1 MiB body (never a 500); bodies at the limit pass; prototype poisoning is still refused.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AdminHarness } from '../../test/support/admin-harness.js';
import { createOrdersHarness } from '../../test/support/feature-routes.js';
import { MAX_BODY_DEPTH } from './json-body-parser.js';

const arrays = (n: number) => `${'['.repeat(n)}1${']'.repeat(n)}`;
const objects = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
const mixed = (n: number) => `${'[{"k":'.repeat(n / 2)}1${'}]'.repeat(n / 2)}`;
const zeros = (n: number) => Array.from({ length: n }, () => '0');

/** Every route with a body; `{}` or a minimal valid body is what `wrap` puts the deep value into. */
const ROUTES_WITH_BODIES: readonly [method: string, url: string][] = [
  ['POST', '/services'],
  ['PUT', '/services/deep'],
  ['PATCH', '/services/orders'],
  ['POST', '/routes'],
  ['POST', '/services/orders/routes'],
  ['POST', '/consumers'],
  ['PUT', '/consumers/alice'],
  ['POST', '/plugins'],
  ['POST', '/consumers/alice/basic-auth'],
  ['POST', '/services/orders/api-keys'],
  ['PUT', '/consumers/alice/api-keys/deep'],
  ['POST', '/services/orders/api-keys/k/regenerate'],
  ['POST', '/api-keys/revocations'],
];

describe('Admin API body nesting', () => {
  let h: AdminHarness;

  before(async () => {
    h = await createOrdersHarness('sqlite');
  });
  after(() => h.close());

  describe('201 at the limit', () => {
    // The body is level 1, `config` level 2: a value of 30 levels reaches exactly 32.
    for (const [shape, build] of [
      ['arrays', arrays],
      ['objects', objects],
      ['arrays and objects', mixed],
    ] as const) {
      it(`accepts a body of ${MAX_BODY_DEPTH} levels of ${shape}`, async () => {
        const res = await h.call('POST', '/plugins', `{"name":"request-termination","config":{"x":${build(MAX_BODY_DEPTH - 2)}}}`);
        assert.equal(res.status, 201, res.text);
        assert.equal((await h.call('DELETE', `/plugins/${res.body.id}`)).status, 204);
      });
    }
  });

  describe('400 beyond it, naming the path', () => {
    const cases: [name: string, body: string, path: string[]][] = [
      ['arrays one level too deep in a plugin config', `{"name":"request-termination","config":{"x":${arrays(31)}}}`, ['config', 'x', ...zeros(30)]],
      ['objects one level too deep', `{"name":"request-termination","config":{"x":${objects(31)}}}`, ['config', 'x', ...Array(30).fill('a')]],
      ['a top-level array', arrays(33), zeros(32)],
      ['arrays in tags, after other elements', `{"username":"t","tags":["a","b",${arrays(40)}]}`, ['tags', '2', ...zeros(30)]],
      ['API-key metadata', `{"metadata":{"team":${objects(100)}}}`, ['metadata', 'team', ...Array(30).fill('a')]],
      ['a thousand levels', `{"name":"x","config":${arrays(1000)}}`, ['config', ...zeros(31)]],
    ];
    for (const [name, body, path] of cases) {
      it(`refuses ${name}`, async () => {
        const url = name.includes('metadata') ? '/services/orders/api-keys' : name.includes('tags') ? '/consumers' : '/plugins';
        const res = await h.call('POST', url, body);
        assert.equal(res.status, 400, res.text.slice(0, 300));
        assert.equal(res.body.code, 'PC_VALIDATION_FAILED');
        assert.deepEqual(res.body.fields, [{ path: path.join('.'), message: `is nested deeper than ${MAX_BODY_DEPTH} levels` }]);
        assert.match(res.body.message, new RegExp(`^The body is not valid: ${path.join('\\.')} is nested`));
      });
    }

    for (const [method, url] of ROUTES_WITH_BODIES) {
      it(`refuses a body of 33 levels on ${method} ${url}`, async () => {
        const res = await h.call(method, url, `{"tags":${arrays(32)}}`);
        assert.equal(res.status, 400, res.text.slice(0, 300));
        assert.equal(res.body.code, 'PC_VALIDATION_FAILED');
        assert.equal(res.body.fields[0].path, ['tags', ...zeros(31)].join('.'));
      });
    }
  });

  describe('400, never 500, for pathological bodies within the 1 MiB limit', () => {
    const bodies: [string, string][] = [
      ['500 000 [ then 500 000 ]', `${'['.repeat(500_000)}${']'.repeat(500_000)}`],
      ['a million [ never closed', '['.repeat(1_000_000)],
      ['200 000 {"a": levels', `${'{"a":'.repeat(200_000)}1${'}'.repeat(10)}`],
      ['150 000 [{"a": levels inside a valid field', `{"username":"x","tags":${'[{"a":'.repeat(150_000)}`],
    ];
    for (const [name, body] of bodies) {
      it(`answers ${name} with PC_VALIDATION_FAILED`, async () => {
        assert.ok(body.length <= 1024 * 1024);
        for (const url of ['/consumers', '/plugins', '/services/orders/api-keys']) {
          const res = await h.call('POST', url, body);
          assert.equal(res.status, 400, `${url}: ${res.text.slice(0, 200)}`);
          assert.equal(res.body.code, 'PC_VALIDATION_FAILED');
          assert.ok(res.text.length < 4096, 'the answer stays small');
        }
      });
    }
  });

  describe('400 PC_BAD_REQUEST for prototype poisoning, as before', () => {
    const bodies = [
      '{"username":"p","__proto__":{"admin":true}}',
      '{"username":"p","\\u005f_proto__":{"admin":true}}',
      '{"username":"p","tags":[{"constructor":{"prototype":{"admin":true}}}]}',
      `{"username":"p","tags":${'['.repeat(20)}{"__proto__":{}}${']'.repeat(20)}}`,
    ];
    for (const body of bodies) {
      it(`refuses ${body.slice(0, 60)}`, async () => {
        const res = await h.call('POST', '/consumers', body);
        assert.equal(res.status, 400);
        assert.equal(res.body.code, 'PC_BAD_REQUEST');
        assert.equal(({} as Record<string, unknown>)['admin'], undefined);
      });
    }
  });
});
