/** Reading a declarative file: what it accepts, how references become keys, and every error with its path. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { loadDocument, MAX_DOCUMENT_BYTES } from './load-document.js';

const SERVICE_ID = '6f1c1a43-6a4c-4b8e-9d7e-3b8a2f1e0c11';
const CERT_ID = '0a1b2c3d-0000-4000-8000-000000000001';

const load = (doc: Record<string, unknown>) => loadDocument(stringify({ _format_version: '1.0', ...doc }));
const paths = (doc: Record<string, unknown>) => {
  const result = load(doc);
  assert.ok(!result.ok, 'the file was accepted');
  return result.errors.map((e) => e.path).sort();
};

describe('loadDocument', () => {
  it('turns every reference into the key of the entity it names, by key or by id', () => {
    const result = load({
      services: [
        { url: 'http://a.test', id: SERVICE_ID.toUpperCase() },
        { name: 'named', url: 'https://b.test' },
      ],
      routes: [
        { name: 'by-id', service: SERVICE_ID, paths: ['/a'] },
        { name: 'by-name', service: 'named', paths: ['/b'] },
      ],
      consumers: [{ username: 'alice' }],
      plugins: [
        { name: 'key-auth', route: 'by-name' },
        { name: 'request-termination', consumer: 'alice' },
      ],
    });
    assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
    const routes = result.items.get('routes')!;
    assert.deepEqual(
      routes.map((r) => r.fields['service']),
      [SERVICE_ID, 'named'],
    );
    const services = result.items.get('services')!;
    assert.deepEqual(
      services.map((s) => [s.key, s.fields['host'], s.fields['port']]),
      [
        [SERVICE_ID, 'a.test', 80],
        ['named', 'b.test', 443],
      ],
    );
    assert.deepEqual(
      result.items.get('plugins')!.map((p) => p.key),
      [JSON.stringify(['key-auth', null, 'by-name', null]), JSON.stringify(['request-termination', null, null, 'alice'])],
    );
  });

  it('reads an empty or absent list as no entities', () => {
    const result = load({ services: null });
    assert.ok(result.ok);
    assert.equal([...result.items.values()].flat().length, 0);
  });

  const cases: [string, Record<string, unknown>, string[]][] = [
    ['a service with neither name nor id', { services: [{ url: 'http://a.test' }] }, ['services[0].name']],
    ['an id that is not a UUID', { services: [{ name: 's', url: 'http://a.test', id: 'one' }] }, ['services[0].id']],
    ['an entity that is not a mapping', { consumers: ['alice', 3] }, ['consumers[0]', 'consumers[1]']],
    [
      'a reference that is not text',
      { services: [{ name: 's', url: 'http://a.test' }], routes: [{ name: 'r', service: { name: 's' }, paths: ['/'] }] },
      ['routes[0].service'],
    ],
    ['the same plugin twice in one place', { plugins: [{ name: 'key-auth' }, { name: 'key-auth' }] }, ['plugins[1]']],
    ['an SNI of a certificate not in the file', { snis: [{ name: 'a.test', certificate: CERT_ID }] }, ['snis[0].certificate']],
    [
      'a CA certificate id listed by a service but absent',
      { services: [{ name: 's', url: 'https://a.test', ca_certificates: [CERT_ID] }] },
      ['services[0].ca_certificates[0]'],
    ],
    [
      'a bad header name deep in a route',
      { services: [{ name: 's', url: 'http://a.test' }], routes: [{ name: 'r', service: 's', headers: { 'bad name': ['x'] } }] },
      ['routes[0].headers.bad name'],
    ],
    ['a top-level value that is not a known list', { _other: 1, Services: [] }, ['Services', '_other']],
  ];
  for (const [what, doc, expected] of cases) {
    it(`refuses ${what}, naming the path`, () => assert.deepEqual(paths(doc), expected));
  }

  it('refuses a missing format version, and a file larger than the bound before parsing it', () => {
    const missing = loadDocument(stringify({ services: [] }));
    assert.ok(!missing.ok && missing.errors[0]!.path === '_format_version');
    const huge = loadDocument(`_format_version: "1.0"\n#${'x'.repeat(MAX_DOCUMENT_BYTES)}`);
    assert.ok(!huge.ok && /larger than/.test(huge.errors[0]!.message));
  });

  it('reports a YAML syntax error by line and column without quoting the file', () => {
    const secret = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC';
    for (const text of [`_format_version: "1.0"\ncertificates:\n  - key: ${secret}\n  cert: [`, `_format_version: "1.0"\nkey: "${secret}\n`]) {
      const result = loadDocument(text);
      assert.ok(!result.ok);
      for (const e of result.errors) {
        assert.equal(e.path, '(file)');
        assert.match(e.message, /^line \d+, column \d+: /);
        assert.ok(!e.message.includes(secret), e.message);
      }
    }
  });

  it('refuses duplicate keys in a mapping and YAML aliases beyond the bound', () => {
    assert.ok(!loadDocument('_format_version: "1.0"\n_format_version: "1.0"\n').ok);
    const bomb = ['_format_version: "1.0"', 'a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]'];
    for (let i = 0; i < 10; i++) bomb.push(`c${i}: &c${i} [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b]`);
    const result = loadDocument(bomb.join('\n'));
    assert.ok(!result.ok && result.errors[0]!.path === '(file)' && /alias/i.test(result.errors[0]!.message));
  });
});
