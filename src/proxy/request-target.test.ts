import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isRefusal, parseRequestTarget } from './request-target.js';

describe('parseRequestTarget', () => {
  it('splits an origin-form target into path and query', () => {
    assert.deepEqual(parseRequestTarget('/a/b?x=1&y'), { path: '/a/b', query: 'x=1&y', authority: null });
    assert.deepEqual(parseRequestTarget('/'), { path: '/', query: '', authority: null });
  });

  it('normalises the path but leaves the query alone', () => {
    assert.deepEqual(parseRequestTarget('/a/../b?p=/../x'), { path: '/b', query: 'p=/../x', authority: null });
  });

  it('accepts the absolute form and returns its authority', () => {
    assert.deepEqual(parseRequestTarget('http://API.example.com:8000/v1?k=v'), { path: '/v1', query: 'k=v', authority: 'api.example.com:8000' });
    assert.deepEqual(parseRequestTarget('https://a.example'), { path: '/', query: '', authority: 'a.example' });
    assert.deepEqual(parseRequestTarget('http://a.example?q'), { path: '/', query: 'q', authority: 'a.example' });
  });

  it('refuses the asterisk and authority forms, and an absolute form followed by a fragment, as malformed', () => {
    for (const url of ['*', 'example.com:443', 'http://a.example#x', 'ftp://a.example/']) {
      assert.deepEqual(parseRequestTarget(url), { refused: 'PC_BAD_REQUEST' }, url);
    }
  });

  it('refuses a path that normalisation refuses, in either form', () => {
    for (const url of ['/files/..%2fprivate?x=1', 'http://a.example/files/%c0%ae%c0%ae/x', '/a\\b']) {
      const target = parseRequestTarget(url);
      assert.ok(isRefusal(target));
      assert.deepEqual(target, { refused: 'PC_PROXY_PATH_REFUSED' }, url);
    }
  });

  it('leaves the query string alone, whatever it holds', () => {
    assert.deepEqual(parseRequestTarget('/a?p=..%2f..%5c%c0%ae%00'), { path: '/a', query: 'p=..%2f..%5c%c0%ae%00', authority: null });
  });
});
