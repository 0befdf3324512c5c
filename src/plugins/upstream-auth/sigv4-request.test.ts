import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { queryBag, signableRequest } from './sigv4-request.js';

describe('queryBag', () => {
  it('decodes names and values once, keeps + literal, gives a bare name the empty value and a repeated name every value', () => {
    const cases: [string, Record<string, string | string[]>][] = [
      ['a=1&b=2', { a: '1', b: '2' }],
      ['sp=a%20b&plus=a+b&slash=c%2Fd', { sp: 'a b', plus: 'a+b', slash: 'c/d' }],
      ['flag&empty=', { flag: '', empty: '' }],
      ['a=2&a=1&a=3', { a: ['2', '1', '3'] }],
      ['&&a=1&', { a: '1' }],
      ['bad=%E0%A4%A&k%65y=v', { bad: '%E0%A4%A', key: 'v' }],
      ['eq=a=b', { eq: 'a=b' }],
    ];
    for (const [query, expected] of cases) assert.deepEqual(queryBag(query), expected, query);
  });
});

describe('signableRequest', () => {
  it('keeps only host, content-type, content-md5 and x-amz-* headers, joining repeated values with commas', () => {
    const req = signableRequest(
      { method: 'POST', target: '/p?q=1', body: Buffer.from('b'), attempt: 1 },
      {
        host: 'api.example:8443',
        'content-type': 'application/json',
        'content-md5': 'abc',
        'x-amz-meta-tag': ['a', 'b'],
        'x-forwarded-for': '10.0.0.1',
        'user-agent': 'curl',
        'x-request-id': 'r',
        'x-absent': undefined,
      },
    );
    assert.deepEqual(req.headers, { host: 'api.example:8443', 'content-type': 'application/json', 'content-md5': 'abc', 'x-amz-meta-tag': 'a,b' });
    assert.equal(req.path, '/p');
    assert.deepEqual(req.query, { q: '1' });
    assert.deepEqual(req.body, Buffer.from('b'));
  });

  it('gives the signer no body for a streamed or absent one', () => {
    for (const body of ['streamed', null] as const) {
      assert.equal(signableRequest({ method: 'GET', target: '/', body, attempt: 1 }, { host: 'h' }).body, undefined);
    }
  });
});
