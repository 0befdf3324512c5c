import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeParamName, removeParams } from './form-params.js';

describe('decodeParamName', () => {
  it('decodes + and ASCII escapes, leaving bad and non-ASCII escapes as they are', () => {
    assert.equal(decodeParamName('api%6Bey'), 'apikey');
    assert.equal(decodeParamName('a+b%2e'), 'a b.');
    assert.equal(decodeParamName('a%zz%4'), 'a%zz%4');
    assert.equal(decodeParamName('%C3%A9'), '%C3%A9');
  });
});

describe('removeParams', () => {
  const key = (name: string) => name === 'apikey';
  it('removes matching parameters split by & or ;, keeping the other bytes and separators', () => {
    const cases: [string, string][] = [
      ['apikey=1', ''],
      ['apikey=1&a=2', 'a=2'],
      ['a=2&apikey=1', 'a=2'],
      ['a=2&apikey=1;b=%20', 'a=2;b=%20'],
      ['a=1&&apikey&b', 'a=1&&b'],
      ['api%6bey=1&a', 'a'],
      ['a=apikey&apikey%3d=1', 'a=apikey&apikey%3d=1'],
      ['', ''],
    ];
    for (const [text, expected] of cases) assert.equal(removeParams(text, key), expected, text);
  });
});
