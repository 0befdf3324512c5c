import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BufferedBody, inspectionOf } from './body-fields.js';

const form = (text: string) => BufferedBody.parse('form', Buffer.from(text, 'latin1'))!;
const json = (text: string) => BufferedBody.parse('json', Buffer.from(text))!;
const isKey = (name: string) => name.toLowerCase() === 'apikey';

describe('inspectionOf', () => {
  it('inspects form, JSON and multipart bodies, refuses compressed ones, and leaves other types alone', () => {
    const cases: [Record<string, string>, string | null][] = [
      [{ 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, 'form'],
      [{ 'content-type': 'Application/JSON' }, 'json'],
      [{ 'content-type': 'application/vnd.api+json' }, 'json'],
      [{ 'content-type': 'text/json' }, 'json'],
      [{ 'content-type': 'multipart/form-data; boundary=x' }, 'multipart'],
      [{ 'content-type': 'application/json', 'content-encoding': 'gzip' }, 'compressed'],
      [{ 'content-type': 'application/json', 'content-encoding': 'identity' }, 'json'],
      [{ 'content-type': 'text/plain' }, null],
      [{ 'content-type': 'application/octet-stream', 'content-encoding': 'gzip' }, null],
      [{}, null],
    ];
    for (const [headers, expected] of cases) assert.equal(inspectionOf(headers), expected, JSON.stringify(headers));
  });
});

describe('BufferedBody fields', () => {
  it('gives every value of a repeated form field, in order', () => {
    assert.deepEqual(
      [...form('apikey=a%20b&x=1&apikey=c&api%6bey=d').fields],
      [
        ['apikey', ['a b', 'c', 'd']],
        ['x', ['1']],
      ],
    );
  });

  it('gives every top-level JSON member, duplicates and escaped names included, non-strings as null', () => {
    const body = json('{"apikey":"k","api\\u006bey":"j","n":1,"o":{"apikey":"deep"},"apikey":["x"]}');
    assert.deepEqual(body.fields.get('apikey'), ['k', 'j', null]);
    assert.deepEqual(body.fields.get('n'), [null]);
    assert.equal(json('[{"apikey":"k"}]').fields.size, 0);
    assert.equal(json('"apikey"').fields.size, 0);
  });

  it('refuses a JSON body that does not parse', () => {
    for (const bad of ['{not json', '{"apikey":"k",}', '{"apikey":"k","n":NaN}', '\ufeff{"a":1}', '{"a":1}{"apikey":"k"}']) {
      assert.equal(BufferedBody.parse('json', Buffer.from(bad)), null, bad);
    }
  });
});

describe('BufferedBody.remove', () => {
  it('removes form fields under every spelling the matcher accepts, keeping every other byte', () => {
    const cases: [string, string][] = [
      ['apikey=k&a=1&apikey=j', 'a=1'],
      ['a=%C3%A9+%2B&APIKEY=k;b=2', 'a=%C3%A9+%2B;b=2'],
      ['api%6bey=k&a=1', 'a=1'],
      ['a=1&apikey', 'a=1'],
      ['a=\xe9\xff&apikey=k', 'a=\xe9\xff'],
      ['x=1', 'x=1'],
    ];
    for (const [text, expected] of cases) {
      const body = form(text);
      body.remove(isKey);
      assert.equal(body.content.toString('latin1'), expected, text);
    }
  });

  it('removes JSON members by decoded name, duplicates too, keeping other members byte for byte', () => {
    const cases: [string, string][] = [
      ['{"apikey":"k","a":[1]}', '{"a":[1]}'],
      ['{"a":12345678901234567890,"apikey":"k"}', '{"a":12345678901234567890}'],
      ['{ "a" : 1.0 , "ApiKey" : "k" , "b" : "é" }', '{ "a" : 1.0 , "b" : "é" }'],
      ['{"apikey":"k","api\\u006bey":"j","apikey":{"x":"}"}}', '{}'],
      ['{"o":{"apikey":"deep"}}', '{"o":{"apikey":"deep"}}'],
      ['[{"apikey":"k"}]', '[{"apikey":"k"}]'],
      ['{}', '{}'],
    ];
    for (const [text, expected] of cases) {
      const body = json(text);
      body.remove(isKey);
      assert.equal(body.content.toString('utf8'), expected, text);
      assert.doesNotThrow(() => JSON.parse(body.content.toString('utf8')));
    }
  });

  it('keeps the fields as received after a removal', () => {
    const body = form('apikey=k&a=1');
    body.remove(isKey);
    assert.deepEqual(body.fields.get('apikey'), ['k']);
  });
});
