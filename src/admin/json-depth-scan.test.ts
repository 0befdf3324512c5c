/**
 * The depth scan run on every Admin API body before it is parsed: it finds the first array or
 * object beyond the limit and names its path, ignores brackets inside strings, and stays linear
 * on half a million levels.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findDepthOverflow } from './json-depth-scan.js';

const nest = (open: string, close: string, n: number, inner = '1') => open.repeat(n) + inner + close.repeat(n);

describe('findDepthOverflow', () => {
  const within: [string, string][] = [
    ['a scalar', '"x"'],
    ['an empty object', '{}'],
    ['arrays exactly at the limit', nest('[', ']', 4)],
    ['objects exactly at the limit', nest('{"a":', '}', 4)],
    ['brackets inside strings', '{"a":"[[[[[[[[[[","b":"{{{{{{{{{{{"}'],
    ['an escaped quote before brackets in a string', '["\\"[[[[[[[["]'],
    ['an escaped backslash ending a string', '["\\\\",["x"]]'],
    ['siblings, each within the limit', '[[[[1]]],[[[2]]],[[[3]]]]'],
  ];
  for (const [name, text] of within) {
    it(`finds nothing in ${name} (limit 4)`, () => {
      assert.equal(findDepthOverflow(text, 4), undefined);
      JSON.parse(text);
    });
  }

  const beyond: [string, string, string[]][] = [
    ['arrays one level too deep', nest('[', ']', 5), ['0', '0', '0', '0']],
    ['objects one level too deep', nest('{"a":', '}', 5), ['a', 'a', 'a', 'a']],
    ['the third element of an array', '[1,2,[[[[1]]]]]', ['2', '0', '0', '0']],
    ['the second key, after a string value with brackets', '{"x":"[[[[","y":{"z":[[[1]]]}}', ['y', 'z', '0', '0']],
    ['a key with escapes, decoded', '{"k\\u00e9\\"y":[[[[1]]]]}', ['ké"y', '0', '0', '0']],
    ['after a closed deep sibling', '[[[[1]]],{"a":{"b":{"c":{}}}}]', ['1', 'a', 'b', 'c']],
  ];
  for (const [name, text, path] of beyond) {
    it(`names the path of ${name} (limit 4)`, () => {
      assert.deepEqual(findDepthOverflow(text, 4), path);
    });
  }

  it('cuts a long key to 64 characters', () => {
    const path = findDepthOverflow(`{"${'k'.repeat(100_000)}":[[[[1]]]]}`, 4);
    assert.equal(path?.[0], `${'k'.repeat(64)}…`);
  });

  it('scans 500 000 levels of [ and 200 000 of {"a": without recursion', () => {
    for (const text of ['['.repeat(500_000), '{"a":'.repeat(200_000)]) assert.equal(findDepthOverflow(text, 32)?.length, 32);
    const closed = `${'['.repeat(500_000)}${']'.repeat(500_000)}`;
    assert.equal(findDepthOverflow(closed, 1_000_000), undefined);
  });

  it('does not throw on malformed text (the parser reports it afterwards)', () => {
    for (const text of [']]]]', '{"a', '"unterminated [[[[[', '{[[[[[[', ',,,,', '']) assert.doesNotThrow(() => findDepthOverflow(text, 4));
  });
});
