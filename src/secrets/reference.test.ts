import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findFieldReference, parseVaultReference, MAX_REFERENCE_LENGTH } from './reference.js';

describe('parseVaultReference', () => {
  const WELL_FORMED: [string, { prefix: string; resource: string; key: string | null; options?: Record<string, string>; version?: string | null }][] = [
    ['{vault://env/pg-password}', { prefix: 'env', resource: 'pg-password', key: null }],
    ['{vault://hcv/db/creds/password}', { prefix: 'hcv', resource: 'db/creds', key: 'password' }],
    ['{vault://aws/payments/token}', { prefix: 'aws', resource: 'payments', key: 'token' }],
    ['{vault://my-vault_2/a/b/c/d}', { prefix: 'my-vault_2', resource: 'a/b/c', key: 'd' }],
    ['{vault://env/my-secret?prefix=app_}', { prefix: 'env', resource: 'my-secret', key: null, options: { prefix: 'app_' } }],
    ['{vault://hcv/db/creds/password#3}', { prefix: 'hcv', resource: 'db/creds', key: 'password', version: '3' }],
    ['{vault://gcp/api-key?ttl=60#latest}', { prefix: 'gcp', resource: 'api-key', key: null, options: { ttl: '60' }, version: 'latest' }],
    ['{vault://conjur/prod%2Fdb%2Fpass}', { prefix: 'conjur', resource: 'prod/db/pass', key: null }],
    ['{vault://conjur/a%40b%2Bc}', { prefix: 'conjur', resource: 'a@b+c', key: null }],
    ['{vault://azure/name#0123456789abcdef0123456789abcdef}', { prefix: 'azure', resource: 'name', key: null, version: '0123456789abcdef0123456789abcdef' }],
    ['{vault://env/x?a=1&b=two%20words}', { prefix: 'env', resource: 'x', key: null, options: { a: '1', b: 'two words' } }],
  ];
  for (const [text, expected] of WELL_FORMED) {
    it(`parses ${text}`, () => {
      assert.deepEqual(parseVaultReference(text), { options: {}, version: null, ...expected });
    });
  }

  const MALFORMED: [string, string][] = [
    ['', 'empty'],
    ['vault://env/x', 'no braces'],
    ['{vault://env/x', 'no closing brace'],
    ['{vault://env}', 'no resource'],
    ['{vault://env/}', 'empty resource'],
    ['{vault:///x}', 'empty prefix'],
    ['{vault://Env/x}', 'upper-case prefix'],
    ['{vault://-env/x}', 'prefix starting with a dash'],
    [`{vault://${'a'.repeat(65)}/x}`, 'prefix over 64 characters'],
    ['{vault://env/a//b}', 'empty segment'],
    ['{vault://env/a/}', 'trailing slash'],
    ['{vault://hcv/../sys/x}', 'dot-dot segment'],
    ['{vault://hcv/a/./b}', 'dot segment'],
    ['{vault://hcv/%2E%2E/x}', 'encoded dot-dot segment'],
    ['{vault://env/a%ZZ}', 'broken percent-encoding'],
    ['{vault://env/a%00b}', 'encoded control character'],
    ['{vault://env/a b}', 'space'],
    ['{vault://env/a\tb}', 'tab'],
    ['{vault://env/a{b}', 'nested brace'],
    ['{vault://env/x?=1}', 'option without a name'],
    ['{vault://env/x?flag}', 'option without a value'],
    ['{vault://env/x?a=1&a=2}', 'option given twice'],
    ['{vault://env/x?Bad-Name=1}', 'option name outside [a-z_]'],
    ['{vault://env/x#}', 'empty version'],
    ['{vault://env/x#1/2}', 'version with a slash'],
    ['{vault://env/x#a b}', 'version with a space'],
    [`{vault://env/x#${'1'.repeat(129)}}`, 'version over 128 characters'],
    ['{vault://env/x}trailing', 'text after the reference'],
    [' {vault://env/x}', 'text before the reference'],
    [`{vault://env/${'a'.repeat(MAX_REFERENCE_LENGTH)}}`, 'longer than the limit'],
    ['{vault://env/x?a=%ZZ}', 'broken percent-encoding in an option'],
  ];
  for (const [text, why] of MALFORMED) {
    it(`refuses ${JSON.stringify(text.slice(0, 60))} (${why})`, () => {
      assert.equal(parseVaultReference(text), null);
    });
  }
});

describe('findFieldReference', () => {
  it('finds nothing in a plain value', () => {
    assert.deepEqual(findFieldReference('just a password {not a reference}'), { kind: 'none' });
  });

  it('finds a whole-value reference with nothing around it', () => {
    const found = findFieldReference('{vault://env/token}');
    assert.equal(found.kind, 'reference');
    assert.ok(found.kind === 'reference');
    assert.equal(found.before, '');
    assert.equal(found.after, '');
    assert.equal(found.parsed.resource, 'token');
  });

  it('finds one embedded reference and the text around it', () => {
    const found = findFieldReference('Bearer {vault://aws/payments/token} (rotated)');
    assert.ok(found.kind === 'reference');
    assert.equal(found.before, 'Bearer ');
    assert.equal(found.after, ' (rotated)');
    assert.equal(found.reference, '{vault://aws/payments/token}');
  });

  const MALFORMED: [string, RegExp][] = [
    ['{vault://env/a} and {vault://env/b}', /more than one/],
    ['{vault://env/a', /without a closing/],
    ['Bearer {vault://env/a', /without a closing/],
    ['{vault://env/a}{vault://env/b', /more than one/],
    ['Bearer {vault://env/a b}', /not a valid vault reference/],
    ['{vault://env/../x}', /not a valid vault reference/],
  ];
  for (const [text, problem] of MALFORMED) {
    it(`reports ${JSON.stringify(text)} as malformed`, () => {
      const found = findFieldReference(text);
      assert.equal(found.kind, 'malformed');
      assert.match((found as { problem: string }).problem, problem);
    });
  }
});
