import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normalizePath } from './normalize-path.js';

describe('normalizePath', () => {
  it('returns the same string for a path that needs no work', () => {
    const path = '/api/v1/users';
    assert.equal(normalizePath(path), path);
    assert.equal(normalizePath('/files..'), '/files..');
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
    assert.equal(normalizePath('/files%2e%2e'), '/files..');
  });

  it('keeps reserved characters encoded, %2F and %5C included, and valid UTF-8 escapes as sent', () => {
    assert.equal(normalizePath('/files/a%2Fb%3F'), '/files/a%2Fb%3F');
    assert.equal(normalizePath('/files/a%5cb'), '/files/a%5cb');
    assert.equal(normalizePath('/caf%C3%A9/%E2%82%AC'), '/caf%C3%A9/%E2%82%AC');
    assert.equal(normalizePath('/a/..%2Ex'), '/a/...x', 'a segment of three dots and more is a name');
  });

  it('merges repeated slashes', () => {
    assert.equal(normalizePath('//api///v1'), '/api/v1');
  });

  it('refuses a path that is not origin-form', () => {
    assert.equal(normalizePath('http://example.com/'), null);
    assert.equal(normalizePath('*'), null);
  });

  const refused: [string, string][] = [
    ['/files/..%2fprivate', 'dots before an encoded slash'],
    ['/files/..%2Fprivate', 'dots before an upper-case encoded slash'],
    ['/files/%2e%2e%2fprivate', 'encoded dots and slash'],
    ['/files/%2e%2e%5cprivate', 'encoded dots and backslash'],
    ['/files/.%2E%5Cprivate', 'mixed-case encoded dots and backslash'],
    ['/files/a%2f..', 'dots after an encoded slash, at the end'],
    ['/files/x%2f.%2fy', 'a single dot between encoded slashes'],
    ['/files/..;/private', 'dots with a path parameter (read as .. by Tomcat)'],
    ['/files\\..\\private', 'a raw backslash'],
    ['/files\\private', 'a raw backslash without dots'],
    ['/files/%c0%ae%c0%ae/private', 'overlong UTF-8 dots'],
    ['/files/%C0%AE', 'an upper-case overlong dot'],
    ['/files/%e0%80%ae', 'a three-byte overlong dot'],
    ['/files/%ae', 'a lone continuation byte'],
    ['/files/%c3', 'a truncated sequence'],
    ['/files/%c3x', 'a lead byte followed by a raw character'],
    ['/files/%ed%a0%80', 'an encoded UTF-16 surrogate'],
    ['/files/%00', 'an encoded NUL'],
    ['/files/a%00.txt', 'an encoded NUL inside a name'],
    ['/files/%zz', 'a % without two hex digits'],
    ['/files/%2', 'a truncated escape'],
    ['/files/%', 'a bare %'],
  ];
  for (const [path, what] of refused) {
    it(`refuses ${path} (${what})`, () => assert.equal(normalizePath(path), null));
  }
});
