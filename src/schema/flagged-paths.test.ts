import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Type from 'typebox';
import { flaggedPaths } from './flagged-paths.js';

describe('flaggedPaths', () => {
  it('finds flagged fields at any depth, in arrays and in union branches', () => {
    const schema = Type.Object({
      plain: Type.String(),
      secret: Type.String({ encrypted: true, referenceable: true }),
      nested: Type.Object({ token: Type.String({ encrypted: true }), name: Type.String() }),
      list: Type.Array(Type.Object({ password: Type.String({ encrypted: true }) })),
      either: Type.Union([Type.Object({ a: Type.String({ encrypted: true }) }), Type.Object({ a: Type.String({ encrypted: true }), b: Type.String() })]),
      opt: Type.Optional(Type.String({ encrypted: true })),
    });
    assert.deepEqual(flaggedPaths(schema, 'encrypted'), [['secret'], ['nested', 'token'], ['list', '*', 'password'], ['either', 'a'], ['opt']]);
    assert.deepEqual(flaggedPaths(schema, 'referenceable'), [['secret']]);
  });

  it('finds nothing in a schema without flags', () => {
    assert.deepEqual(flaggedPaths(Type.Object({ a: Type.String(), b: Type.Array(Type.Integer()) }), 'encrypted'), []);
  });
});
