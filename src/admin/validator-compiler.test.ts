/**
 * The validator compiler: PortcullisErrors with dotted field paths, and query strings and path
 * parameters converted to their schema types before they are checked.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Type from 'typebox';
import type { FastifyRouteSchemaDef } from 'fastify/types/schema.js';
import type { TSchema } from 'typebox';
import { PortcullisError } from '../errors/portcullis-error.js';
import { createValidatorCompiler } from './validator-compiler.js';

const compile = (schema: TSchema, httpPart: string) =>
  createValidatorCompiler()({ schema, httpPart, method: 'POST', url: '/x' } as FastifyRouteSchemaDef<TSchema>) as (data: unknown) => {
    value?: unknown;
    error?: unknown;
  };

describe('validator compiler', () => {
  const Body = Type.Object({ config: Type.Object({ names: Type.Array(Type.String({ minLength: 1 })) }) }, { additionalProperties: false });

  it('passes a valid body through unchanged', () => {
    const body = { config: { names: ['a'] } };
    assert.deepEqual(compile(Body, 'body')(body), { value: body });
  });

  it('rejects a bad body with PC_VALIDATION_FAILED and dotted field paths', () => {
    const { error } = compile(Body, 'body')({ config: { names: [''] }, extra: 1 });
    assert.ok(error instanceof PortcullisError);
    assert.equal(error.code, 'PC_VALIDATION_FAILED');
    assert.deepEqual(error.fields?.map((f) => f.path).sort(), ['config.names.0', 'extra']);
    assert.match(error.message, /^The body is not valid: /);
  });

  it('rejects a missing body with PC_BAD_REQUEST', () => {
    const { error } = compile(Body, 'body')(undefined);
    assert.ok(error instanceof PortcullisError);
    assert.equal(error.code, 'PC_BAD_REQUEST');
  });

  it('converts query string values to their schema types', () => {
    const Query = Type.Object({ size: Type.Optional(Type.Integer({ minimum: 1 })), on: Type.Optional(Type.Boolean()) });
    assert.deepEqual(compile(Query, 'querystring')({ size: '10', on: 'true' }), { value: { size: 10, on: true } });
    const { error } = compile(Query, 'querystring')({ size: 'ten' });
    assert.ok(error instanceof PortcullisError);
    assert.deepEqual(error.fields, [{ path: 'size', message: 'must be integer' }]);
    assert.match(error.message, /^The query string is not valid/);
  });
});
