/** Bounded free-form JSON: the depth and size bounds, each refused with a message naming it. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createValidator } from './validator.js';
import { BoundedJson, jsonBoundsProblem } from './bounded-json.js';

describe('BoundedJson', () => {
  const validator = createValidator(BoundedJson({ maxBytes: 32, maxDepth: 2 }, 'a value'));

  for (const ok of [null, 1, 'short', [], {}, [1, [2]], { a: { b: 1 } }, 'x'.repeat(30)]) {
    it(`accepts ${JSON.stringify(ok)}`, () => assert.deepEqual(validator.errors(ok), []));
  }

  const deep: unknown[] = [[[[1]]], { a: { b: [] } }, [{ a: [{}] }]];
  for (const value of deep) {
    it(`refuses ${JSON.stringify(value)} as nested deeper than 2 levels`, () => {
      assert.deepEqual(validator.errors(value), [{ path: '(root)', message: 'must not nest deeper than 2 levels' }]);
    });
  }

  it('counts size in UTF-8 bytes of the JSON text', () => {
    assert.equal(validator.errors('x'.repeat(31))[0]?.message, 'must be at most 32 bytes as JSON (is 33)');
    assert.equal(validator.errors('é'.repeat(16))[0]?.message, 'must be at most 32 bytes as JSON (is 34)');
  });

  it('measures a value nested 100 000 levels without recursion', () => {
    let value: unknown = 1;
    for (let i = 0; i < 100_000; i++) value = [value];
    assert.equal(jsonBoundsProblem(value, { maxBytes: 10, maxDepth: 4 })?.kind, 'depth');
  });
});
