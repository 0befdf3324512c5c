import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestTarget } from './request-target.js';

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

  it('refuses the asterisk and authority forms', () => {
    assert.equal(parseRequestTarget('*'), null);
    assert.equal(parseRequestTarget('example.com:443'), null);
  });
});
