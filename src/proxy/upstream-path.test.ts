import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { joinUpstreamPath, stripMatchedPrefix } from './upstream-path.js';

describe('joinUpstreamPath (Kong path_handling v0)', () => {
  const cases: [string | null, string, string][] = [
    [null, '/req', '/req'],
    ['/', '/req', '/req'],
    ['/s', '/req', '/s/req'],
    ['/s/', '/req', '/s/req'],
    ['/s', '/', '/s'],
    ['/s/', '/', '/s/'],
    ['/s', '/fv0/req', '/s/fv0/req'],
  ];
  for (const [service, rest, expected] of cases) {
    it(`joins ${JSON.stringify(service)} and ${rest} into ${expected}`, () => {
      assert.equal(joinUpstreamPath(service, rest), expected);
    });
  }
});

describe('stripMatchedPrefix', () => {
  it('always leaves a path starting with a slash', () => {
    assert.equal(stripMatchedPrefix('/api/users', 4), '/users');
    assert.equal(stripMatchedPrefix('/api', 4), '/');
    assert.equal(stripMatchedPrefix('/apiary', 4), '/ary');
    assert.equal(stripMatchedPrefix('/x', 0), '/x');
  });
});
