import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normalizePath } from './normalize-path.js';

describe('normalizePath', () => {
  it('returns the same string for a path that needs no work', () => {
    const path = '/api/v1/users';
    assert.equal(normalizePath(path), path);
  });

  it('resolves dot segments so /public/../admin is routed as /admin', () => {
    assert.equal(normalizePath('/public/../admin'), '/admin');
    assert.equal(normalizePath('/a/./b/'), '/a/b/');
    assert.equal(normalizePath('/a/b/..'), '/a/');
    assert.equal(normalizePath('/../../etc'), '/etc');
  });

  it('decodes percent-encoded unreserved characters, including encoded dots', () => {
    assert.equal(normalizePath('/public/%2e%2E/admin'), '/admin');
    assert.equal(normalizePath('/%7Euser/%41'), '/~user/A');
  });

  it('keeps reserved characters encoded', () => {
    assert.equal(normalizePath('/files/a%2Fb%3F'), '/files/a%2Fb%3F');
  });

  it('merges repeated slashes', () => {
    assert.equal(normalizePath('//api///v1'), '/api/v1');
  });

  it('refuses a path that is not origin-form', () => {
    assert.equal(normalizePath('http://example.com/'), null);
    assert.equal(normalizePath('*'), null);
  });
});
