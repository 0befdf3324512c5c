import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createStringInterner } from './string-interner.js';

/** A copy of `s` that is a different string object with the same text. */
const copy = (s: string) => Buffer.from(s).toString();

describe('createStringInterner', () => {
  it('returns the first copy for every later equal string', () => {
    const intern = createStringInterner(10);
    const first = intern(copy('consumer-1'));
    for (const later of [copy('consumer-1'), copy('consumer-1')]) assert.equal(intern(later), first);
    assert.equal(intern('consumer-2'), 'consumer-2');
  });

  it('stays within its bound: past maxSize it starts over and still returns equal strings', () => {
    const intern = createStringInterner(3);
    const values = Array.from({ length: 10 }, (_, i) => `id-${i}`);
    for (const v of values) assert.equal(intern(copy(v)), v);
    for (const v of values) assert.equal(intern(copy(v)), v, 'an interned string always equals its input');
  });
});
