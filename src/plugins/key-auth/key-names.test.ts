import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalParams, createKeyNames } from './key-names.js';

describe('createKeyNames', () => {
  const names = createKeyNames(['apikey', 'X-Api-Key', 'api_token']);

  it('lists every -/_ mix of each header name, lower-case', () => {
    assert.deepEqual(new Set(names.headerSpellings), new Set(['apikey', 'x-api-key', 'x_api-key', 'x-api_key', 'x_api_key', 'api_token', 'api-token']));
    assert.equal(names.scannedHeaders, null);
  });

  it('leaves names with many separators to a scan of the headers', () => {
    const many = createKeyNames(['a-b-c-d-e-f']);
    assert.deepEqual(many.headerSpellings, []);
    assert.deepEqual([...many.scannedHeaders!], ['a-b-c-d-e-f']);
  });

  it('matches parameter names as PHP, Rails or ASP.NET would read them', () => {
    for (const name of ['apikey', 'APIKEY', ' apikey', 'apikey[]', 'apikey[0]', 'x-api-key', 'api_token', 'api.token', 'api token', 'api[token'])
      assert.equal(names.isKeyParam(name), true, name);
    for (const name of ['apikeys', 'api-key', 'x_api_key', 'api', 'key', '[apikey]', 'apitoken']) assert.equal(names.isKeyParam(name), false, name);
  });

  it('finds a possible key parameter in a query string before any parsing, never missing one', () => {
    const hit = ['apikey=1', 'a=1&ApiKey=2', 'a=1;apikey', 'apikey[]=1', 'api.token=1', 'api+token=1', 'api[token=1', 'api%6bey=1', '+apikey=1'];
    for (const query of hit) assert.equal(names.mayHoldKeyParam(query), true, query);
    for (const query of ['a=1&b=2', 'a=apikey', 'a=%20apikey', 'apikeys=1', 'x=1&not-apikey=2']) assert.equal(names.mayHoldKeyParam(query), false, query);
  });
});

describe('canonicalParams', () => {
  it('gives both readings of an unclosed bracket', () => {
    assert.deepEqual(canonicalParams('Api.Key[0]'), ['api_key']);
    assert.deepEqual(canonicalParams('api[key'), ['api', 'api_key']);
  });
});
