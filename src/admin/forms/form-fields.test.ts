/**
 * Kong's form field conventions, and the names that must be refused (prototype writes, lists of
 * objects, a value that is also an object, too many fields, too deep).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PortcullisError } from '../../errors/portcullis-error.js';
import { formFieldsToObject } from './form-fields.js';

const LIMITS = { maxFields: 50, maxDepth: 4 };
const parse = (body: string) => JSON.parse(JSON.stringify(formFieldsToObject(new URLSearchParams(body), LIMITS)));

describe('form fields to an object', () => {
  const cases: [string, unknown][] = [
    ['name=web', { name: 'web' }],
    ['name=web+site&url=http%3A%2F%2Fx.test%2Fa%3Fb%3D1', { name: 'web site', url: 'http://x.test/a?b=1' }],
    ['config.minute=5&config.policy=local', { config: { minute: '5', policy: 'local' } }],
    ['service.id=abc', { service: { id: 'abc' } }],
    ['paths[]=/a&paths[]=/b', { paths: ['/a', '/b'] }],
    ['hosts[2]=b.test&hosts[1]=a.test', { hosts: ['a.test', 'b.test'] }],
    ['methods=GET&methods=POST&methods=PUT', { methods: ['GET', 'POST', 'PUT'] }],
    [
      'config.key_names[]=apikey&config.key_names[]=x-key&config.hide_credentials=false',
      { config: { key_names: ['apikey', 'x-key'], hide_credentials: 'false' } },
    ],
    ['a.b.c=deep', { a: { b: { c: 'deep' } } }],
    ['description=', { description: '' }],
    ['', {}],
  ];
  for (const [body, expected] of cases) {
    it(`reads ${JSON.stringify(body)}`, () => assert.deepEqual(parse(body), expected));
  }

  const refused: [string, string, string][] = [
    ['__proto__.admin=true', '__proto__.admin', 'may not use "__proto__"'],
    ['config.__proto__.x=1', 'config.__proto__.x', 'may not use "__proto__"'],
    ['constructor.prototype.x=1', 'constructor.prototype.x', 'may not use "constructor"'],
    ['tags[]=a&tags.x=b', 'tags.x', 'is both a value and an object'],
    ['name=a&name.first=b', 'name.first', 'is both a value and an object'],
    ['config.x=1&config=2', 'config', 'is both a value and an object'],
    ['routes[].name=a', 'routes[].name', 'may not nest inside a list'],
    ['a[b]=1', 'a[b]', 'is not a valid field name'],
    ['.a=1', '.a', 'is not a valid field name'],
    ['a..b=1', 'a..b', 'is not a valid field name'],
    ['[]=1', '[]', 'is not a valid field name'],
    ['a.b.c.d.e=1', 'a.b.c.d.e', 'is nested deeper than 4 levels'],
    [Array.from({ length: 51 }, (_, i) => `f${i}=1`).join('&'), '(root)', 'has more than 50 fields'],
  ];
  for (const [body, path, message] of refused) {
    it(`refuses ${JSON.stringify(body.slice(0, 40))} with 400 naming ${path}`, () => {
      assert.throws(
        () => parse(body),
        (err: unknown) => {
          assert.ok(err instanceof PortcullisError);
          assert.equal(err.code, 'PC_VALIDATION_FAILED');
          assert.equal(err.fields?.[0]?.path, path);
          assert.match(err.fields?.[0]?.message ?? '', new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
          return true;
        },
      );
    });
  }

  it('never writes through the prototype', () => {
    assert.throws(() => parse('__proto__[]=1'));
    assert.equal(({} as Record<string, unknown>)['admin'], undefined);
  });
});
