import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { topLevelMembers, withoutMembers } from './json-members.js';

const latin1 = (text: string) => Buffer.from(text).toString('latin1');

describe('topLevelMembers', () => {
  it('lists every top-level member with its decoded name and string value, skipping nested ones', () => {
    const text = latin1('{"a":"x","b\\u0022":{"a":"deep","s":"}]"},"c":[1,{"a":2}],"d":null,"é":"ü","a":true}');
    const members = topLevelMembers(text)!;
    assert.deepEqual(
      members.map((m) => [m.name, m.value]),
      [
        ['a', 'x'],
        ['b"', null],
        ['c', null],
        ['d', null],
        ['é', 'ü'],
        ['a', null],
      ],
    );
    for (const m of members) assert.doesNotThrow(() => JSON.parse(`{${Buffer.from(text.slice(m.start, m.end), 'latin1').toString()}}`));
  });

  it('answers null for a JSON value that is not an object, and no members for {}', () => {
    for (const text of ['[1]', '"s"', '1', 'null']) assert.equal(topLevelMembers(text), null, text);
    assert.deepEqual(topLevelMembers(' { } '), []);
  });
});

describe('withoutMembers', () => {
  it('drops the chosen members and their separators, first, middle and last alike', () => {
    const text = '{ "k":1 , "a":2,\n"k":3 ,"b":4, "k":5 }';
    const members = topLevelMembers(text)!;
    assert.equal(
      withoutMembers(text, members, (m) => m.name === 'k'),
      '{ "a":2 ,"b":4 }',
    );
    assert.equal(
      withoutMembers(text, members, () => true),
      '{  }',
    );
    assert.equal(
      withoutMembers(text, members, () => false),
      text,
    );
  });
});
