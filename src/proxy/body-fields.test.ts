import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseFields } from './body-fields.js';

describe('parseFields', () => {
  it('reads form fields, first value wins', () => {
    assert.deepEqual(
      [...parseFields('application/x-www-form-urlencoded; charset=utf-8', Buffer.from('apikey=a%20b&x=1&apikey=c'))],
      [
        ['apikey', 'a b'],
        ['x', '1'],
      ],
    );
  });

  it('reads top-level string fields of a JSON object only', () => {
    assert.deepEqual([...parseFields('application/json', Buffer.from('{"apikey":"k","n":1,"o":{"apikey":"deep"}}'))], [['apikey', 'k']]);
    assert.deepEqual([...parseFields('application/vnd.api+json', Buffer.from('{"apikey":"k"}'))], [['apikey', 'k']]);
    assert.equal(parseFields('application/json', Buffer.from('[1,2]')).size, 0);
    assert.equal(parseFields('application/json', Buffer.from('{not json')).size, 0);
  });

  it('ignores other content types', () => {
    assert.equal(parseFields('text/plain', Buffer.from('apikey=k')).size, 0);
    assert.equal(parseFields(undefined, Buffer.from('apikey=k')).size, 0);
  });
});

describe('removeFields', () => {
  it('removes named fields from form and JSON bodies, leaving others as they were', async () => {
    const { removeFields } = await import('./body-fields.js');
    assert.equal(removeFields('application/x-www-form-urlencoded', Buffer.from('apikey=k&a=1&apikey=j'), ['apikey']).toString(), 'a=1');
    assert.equal(removeFields('application/json', Buffer.from('{"apikey":"k","a":[1]}'), ['apikey']).toString(), '{"a":[1]}');
    assert.equal(removeFields('text/plain', Buffer.from('apikey=k'), ['apikey']).toString(), 'apikey=k');
  });
});
