/** Unions of constants shown as `enum` (openapi-schema-view.ts); other unions left as they are. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Type from 'typebox';
import { constUnionsAsEnums } from './openapi-schema-view.js';

const view = (schema: unknown) => {
  const copy = JSON.parse(JSON.stringify(schema)) as Record<string, unknown>;
  constUnionsAsEnums(copy);
  return copy;
};

describe('constUnionsAsEnums', () => {
  const CASES: readonly { name: string; schema: unknown; shown: unknown }[] = [
    { name: 'strings', schema: Type.Union([Type.Literal('a'), Type.Literal('b')]), shown: { type: 'string', enum: ['a', 'b'] } },
    { name: 'numbers', schema: Type.Union([Type.Literal(1), Type.Literal(2)]), shown: { type: 'number', enum: [1, 2] } },
    { name: 'with null', schema: Type.Union([Type.Literal('a'), Type.Null()]), shown: { type: ['string', 'null'], enum: ['a', null] } },
    {
      name: 'nested, keeping the description',
      schema: Type.Object({ s: Type.Union([Type.Literal('x'), Type.Literal('y')], { description: 'd' }) }),
      shown: { type: 'object', required: ['s'], properties: { s: { description: 'd', type: 'string', enum: ['x', 'y'] } } },
    },
  ];
  for (const c of CASES) it(`writes a union of ${c.name} as an enum`, () => assert.deepEqual(view(c.schema), c.shown));

  const KEPT: readonly { name: string; schema: unknown }[] = [
    { name: 'a union of types', schema: Type.Union([Type.String(), Type.Null()]) },
    { name: 'a constant beside a type', schema: Type.Union([Type.Literal('a'), Type.Integer()]) },
    { name: 'only null', schema: { anyOf: [{ type: 'null' }, { type: 'null' }] } },
    { name: 'a constrained constant', schema: { anyOf: [{ const: 'a', minLength: 1 }, { const: 'b' }] } },
  ];
  for (const c of KEPT) it(`keeps ${c.name}`, () => assert.deepEqual(view(c.schema), JSON.parse(JSON.stringify(c.schema))));
});
