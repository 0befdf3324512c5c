/**
 * Free-form fields of the Admin API are bounded, each refusal a 400 naming the field: API-key
 * `metadata` (key count, key length and characters, value size and depth, total size), `tags` on
 * every entity (count, length, duplicates), route `headers` (count and names); and a body full
 * of mistakes gets a bounded list of them, not a response larger than itself.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AdminHarness } from '../../test/support/admin-harness.js';
import { createOrdersHarness } from '../../test/support/feature-routes.js';
import { METADATA_LIMITS } from '../apikeys/lifecycle/schemas.js';

const keys = (n: number, value: (i: number) => unknown = (i) => i) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, value(i)]));
/** A string value whose JSON is exactly `bytes` long. */
const valueOf = (bytes: number) => 'v'.repeat(bytes - 2);
const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);

describe('Admin API free-form field bounds', () => {
  let h: AdminHarness;

  before(async () => {
    h = await createOrdersHarness('sqlite');
  });
  after(() => h.close());

  describe('API-key metadata', () => {
    const accepted: [string, Record<string, unknown>][] = [
      [`${METADATA_LIMITS.keys} keys`, keys(METADATA_LIMITS.keys)],
      [`a key of ${METADATA_LIMITS.keyLength} characters`, { ['k'.repeat(METADATA_LIMITS.keyLength)]: 1 }],
      [`a value of ${METADATA_LIMITS.valueBytes} bytes`, { a: valueOf(METADATA_LIMITS.valueBytes) }],
      [`a value nested ${METADATA_LIMITS.valueDepth} levels`, { a: nested(METADATA_LIMITS.valueDepth) }],
      [`${METADATA_LIMITS.totalBytes} bytes in all`, keys(8, (i) => valueOf(i === 0 ? 1024 - 49 : 1024))],
      ['names, numbers, booleans, null and objects as values', { team: 'billing', tier: 3, beta: true, owner: null, tags: { a: ['x'] } }],
    ];
    for (const [name, metadata] of accepted) {
      it(`accepts ${name}`, async () => {
        const res = await h.call('POST', '/services/orders/api-keys', { metadata });
        assert.equal(res.status, 201, res.text.slice(0, 300));
        assert.deepEqual(res.body.metadata, metadata);
      });
    }

    const refused: [string, Record<string, unknown>, string, RegExp][] = [
      [`${METADATA_LIMITS.keys + 1} keys`, keys(METADATA_LIMITS.keys + 1), 'metadata', /more than 32 properties/],
      ['ten thousand keys', keys(10_000), 'metadata', /more than 32 properties/],
      [`a key of ${METADATA_LIMITS.keyLength + 1} characters`, { ['k'.repeat(65)]: 1 }, `metadata.${'k'.repeat(64)}…`, /more than 64 characters/],
      ['a key of 100 000 characters', { ['k'.repeat(100_000)]: 1 }, `metadata.${'k'.repeat(64)}…`, /more than 64 characters/],
      ['an empty key', { '': 1 }, 'metadata', /fewer than 1 characters/],
      ['a key with a zero-width space', { 'te\u200bam': 1 }, 'metadata.te\u200bam', /zero-width/],
      [
        `a value of ${METADATA_LIMITS.valueBytes + 1} bytes`,
        { a: valueOf(METADATA_LIMITS.valueBytes + 1) },
        'metadata.a',
        /at most 1024 bytes as JSON \(is 1025\)/,
      ],
      ['a value of 900 KB', { a: 'x'.repeat(900_000) }, 'metadata.a', /at most 1024 bytes/],
      ['a value of multi-byte characters over 1024 bytes', { a: '\u00e9'.repeat(512) }, 'metadata.a', /is 1026/],
      [`a value nested ${METADATA_LIMITS.valueDepth + 1} levels`, { a: nested(METADATA_LIMITS.valueDepth + 1) }, 'metadata.a', /nest deeper than 4 levels/],
      ['an object value nested too deep', { a: { b: { c: { d: { e: {} } } } } }, 'metadata.a', /nest deeper than 4 levels/],
      [`more than ${METADATA_LIMITS.totalBytes} bytes in all`, keys(9, () => valueOf(1000)), 'metadata', /at most 8192 bytes as JSON/],
      ['not an object', [1, 2] as unknown as Record<string, unknown>, 'metadata', /object/],
    ];
    for (const [name, metadata, path, message] of refused) {
      it(`refuses ${name} with 400 naming ${path.slice(0, 20)}`, async () => {
        for (const [method, url] of [
          ['POST', '/services/orders/api-keys'],
          ['POST', '/consumers/alice/api-keys'],
          ['PUT', '/services/orders/api-keys/meta'],
        ] as const) {
          const res = await h.call(method, url, { metadata, ...(method === 'PUT' ? { api_key: 'x'.repeat(40) } : {}) });
          assert.equal(res.status, 400, `${method} ${url}: ${res.text.slice(0, 300)}`);
          assert.equal(res.body.code, 'PC_VALIDATION_FAILED');
          const field = (res.body.fields as { path: string; message: string }[]).find((f) => f.path === path);
          assert.ok(field, `${JSON.stringify(res.body.fields).slice(0, 300)}`);
          assert.match(field.message, message);
          assert.ok(res.text.length < 4096, 'the answer stays small');
        }
      });
    }
  });

  describe('tags on every entity', () => {
    const TAGGED: [string, string, Record<string, unknown>][] = [
      ['services', '/services', { url: 'http://t.test' }],
      ['routes', '/routes', { paths: ['/t'] }],
      ['consumers', '/consumers', { custom_id: 'tagged' }],
      ['plugins', '/plugins', { name: 'key-auth' }],
      ['basic-auth credentials', '/consumers/alice/basic-auth', { username: 'tagged', password: 'pw' }],
    ];
    const refused: [string, unknown[], string, RegExp][] = [
      ['65 tags', Array.from({ length: 65 }, (_, i) => `t${i}`), 'tags', /more than 64 items/],
      ['a tag of 129 characters', ['t'.repeat(129)], 'tags.0', /more than 128 characters/],
      ['an empty tag', [''], 'tags.0', /fewer than 1 characters/],
      ['the same tag twice', ['a', 'a'], 'tags', /duplicate/],
      ['a tag with a comma', ['a,b'], 'tags.0', /","/],
      ['a tag with a space', ['a b'], 'tags.0', /whitespace/],
      ['a tag that is not a string', [{ a: 1 }], 'tags.0', /string/],
    ];
    for (const [entity, url, base] of TAGGED) {
      it(`refuses too many, too long, empty, duplicate and malformed tags on ${entity}`, async () => {
        for (const [name, tags, path, message] of refused) {
          const res = await h.call('POST', url, { ...base, tags });
          assert.equal(res.status, 400, `${name}: ${res.text.slice(0, 300)}`);
          const field = (res.body.fields as { path: string; message: string }[]).find((f) => f.path === path);
          assert.ok(field, `${name}: ${JSON.stringify(res.body.fields)}`);
          assert.match(field.message, message, name);
        }
      });
    }
  });

  describe('route headers', () => {
    it('accepts 32 header names and refuses 33, naming headers', async () => {
      const headers = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x-h${i}`, ['v']]));
      assert.equal((await h.call('POST', '/routes', { headers: headers(32) })).status, 201);
      const res = await h.call('POST', '/routes', { headers: headers(33) });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.fields, [{ path: 'headers', message: 'must not have more than 32 properties' }]);
    });

    it('refuses header names that are not HTTP tokens or longer than 128, naming each', async () => {
      for (const name of ['bad name', 'x:y', 'é', '', 'x'.repeat(129)]) {
        const res = await h.call('POST', '/routes', { headers: { [name]: ['v'] } });
        assert.equal(res.status, 400, JSON.stringify(name));
        assert.ok(
          res.body.fields.some((f: { path: string }) => f.path.startsWith('headers')),
          JSON.stringify(res.body.fields),
        );
      }
    });
  });

  describe('the list of problems', () => {
    it('refuses a body with many unknown fields (and a bad one), answering with a short list', async () => {
      for (const n of [1, 7, 8, 9, 50, 20_000]) {
        for (const body of [
          { username: `many-${n}`, ...keys(n) },
          { ...keys(n), username: 'bad\u202e' },
        ]) {
          const res = await h.call('POST', '/consumers', body);
          assert.equal(res.status, 400, `${n} unknown fields: ${res.text.slice(0, 200)}`);
          assert.equal(res.body.code, 'PC_VALIDATION_FAILED');
          assert.ok(res.body.fields.length >= 1 && res.body.fields.length <= 8, `${res.body.fields.length} fields`);
          assert.equal(res.body.fields[0].message, 'is not a known field');
          assert.ok(res.text.length < 2048, `${res.text.length} bytes`);
        }
      }
      assert.equal((await h.call('GET', '/consumers/many-8')).status, 404);
    });

    it('cuts a long unknown key in the paths it reports', async () => {
      const res = await h.call('POST', '/consumers', { username: 'x', ['u'.repeat(500_000)]: 1 });
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.fields, [{ path: `${'u'.repeat(64)}…`, message: 'is not a known field' }]);
      assert.ok(res.text.length < 1024);
    });
  });
});
