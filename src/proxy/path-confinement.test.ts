import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hasDotSegment, mayHideDotSegment } from './path-confinement.js';

describe('hasDotSegment: the widest reading any upstream uses', () => {
  const dotSegments = [
    '..',
    '.',
    '/..',
    '/../x',
    '/a/./b',
    '/%2e%2e/x',
    '/%2E%2e/x',
    '/.%2e/x',
    '/%2e./x',
    '/%2e',
    '/a%2f..%2fb',
    '/a%2F..',
    '/a%5c..%5cb',
    '/a%5C.',
    '/a\\..\\b',
    '\\..',
    '/..;/x',
    '/..;jsessionid=1/x',
    '/.;x',
    '/a/%2e%2e%2fb',
    '/%252e%252e/x',
    '/%252E%252e',
    '/a%252f..%252fb',
    '/a%255c%252e%252e%255cb',
    '/.%252e/x',
  ];
  for (const path of dotSegments) {
    it(`finds the dot segment in ${JSON.stringify(path)}`, () => {
      if (path.startsWith('/')) assert.equal(mayHideDotSegment(path), true, 'the pre-test lets it through to the scan');
      assert.equal(hasDotSegment(path), true);
    });
  }

  const clean = [
    '/',
    '/files',
    '/files..',
    '/files.',
    '/-v2',
    '/a.b/c',
    '/...',
    '/a/.../b',
    '/.well-known/x',
    '/a%2Fb',
    '/a%2e',
    '/%2e%2e%2e',
    '/a;..',
    '/x..;',
    '/%2',
    '/a%',
    '/a%252Fb',
    '/%2525',
    '/%252e%252e%252e',
    '/%25zz',
  ];
  for (const path of clean) {
    it(`finds no dot segment in ${JSON.stringify(path)}`, () => assert.equal(hasDotSegment(path), false));
  }

  it('skips the scan for a path without "/.", "%" or "\\"', () => {
    assert.equal(mayHideDotSegment('/api/v1/users'), false);
    assert.equal(mayHideDotSegment('/api/report.v2.json'), false);
    assert.equal(mayHideDotSegment('/a;..'), false);
  });
});
