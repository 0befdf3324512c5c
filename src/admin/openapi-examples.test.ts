/**
 * Examples made from schemas (openapi-examples.ts): each validates against its schema, for every
 * shape the Admin API's schemas take, and prefers what the schema itself says (examples, const,
 * default, enum) over made-up values.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import Type, { type TSchema } from 'typebox';
import { Name, Tags, Uuid } from '../entities/common-schemas.js';
import { SafeText } from '../schema/safe-text.js';
import { ErrorBody, ListResponse, TaggedListQuery } from './http-schemas.js';
import { exampleOf } from './openapi-examples.js';

// CommonJS default export seen through NodeNext: the class is on `default`.
const Ajv2020 = Ajv2020Module.default;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);

const VALID: readonly { name: string; schema: TSchema }[] = [
  { name: 'the error body (code pattern)', schema: ErrorBody },
  { name: 'a name pattern', schema: Name },
  { name: 'a UUID pattern', schema: Uuid },
  { name: 'safe text (invisible characters refused)', schema: SafeText({ maxLength: 128 }) },
  { name: 'tags', schema: Tags },
  { name: 'an HTTP method pattern', schema: Type.String({ pattern: '^[A-Z]{1,16}$' }) },
  { name: 'a path pattern', schema: Type.String({ pattern: '^/[\\x21-\\x7e]*$' }) },
  { name: '16 hex', schema: Type.String({ pattern: '^[0-9a-f]{16}$' }) },
  { name: 'a base64 key', schema: Type.String({ pattern: '^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$' }) },
  { name: 'bounded integers', schema: Type.Integer({ minimum: 100, maximum: 599 }) },
  { name: 'a long minimum length', schema: Type.String({ minLength: 20 }) },
  { name: 'a union with null', schema: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]) },
  { name: 'an intersection', schema: Type.Intersect([Type.Object({ a: Type.String() }), Type.Object({ b: Type.Integer() })]) },
  { name: 'a listing', schema: ListResponse(Type.Object({ id: Type.String({ format: 'uuid' }), created_at: Type.Integer() })) },
  {
    name: 'a closed object with optional fields',
    schema: Type.Object({ a: Type.Optional(Type.String()), b: Type.Boolean() }, { additionalProperties: false }),
  },
  { name: 'a record', schema: Type.Record(Type.String(), Type.Unknown()) },
];

describe('exampleOf', () => {
  for (const c of VALID) {
    it(`makes a valid example of ${c.name}`, () => {
      const example = exampleOf(c.schema);
      const validate = ajv.compile(JSON.parse(JSON.stringify(c.schema)));
      assert.ok(validate(example), `${JSON.stringify(example)}: ${JSON.stringify(validate.errors)}`);
    });
  }

  it("takes the schema's own examples, const, default and first enum value, in that order", () => {
    assert.equal(exampleOf(TaggedListQuery.properties.tags), 'prod,team-a');
    assert.equal(exampleOf(Type.Literal('poll')), 'poll');
    assert.equal(exampleOf(Type.Integer({ default: 100 })), 100);
    assert.equal(exampleOf({ type: 'string', enum: ['a', 'b'] }), 'a');
    assert.equal(exampleOf(Type.String({ examples: ['x'], default: 'y' })), 'x');
  });

  it('names ids, times and URLs after their property when they fit', () => {
    const example = exampleOf(Type.Object({ id: Type.String(), created_at: Type.Integer(), updated_at: Type.String(), url: Type.String() })) as Record<
      string,
      unknown
    >;
    assert.match(String(example['id']), /^[0-9a-f-]{36}$/);
    assert.equal(typeof example['created_at'], 'number');
    assert.ok(!Number.isNaN(Date.parse(String(example['updated_at']))));
    assert.match(String(example['url']), /^https:\/\//);
  });

  it('leaves optional fields out unless they carry an example', () => {
    assert.deepEqual(exampleOf(Type.Object({ a: Type.Optional(Type.String()), b: Type.Optional(Type.String({ examples: ['kept'] })) })), { b: 'kept' });
  });
});
