/**
 * Human-chosen text: the characters SafeText refuses (several code points of each class), the
 * ones it keeps, the message a refusal carries, and NFC normalisation along a schema.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Type from 'typebox';
import { createValidator } from './validator.js';
import { SafeText, isSafeTextSchema, normalizeText, safeTextMessage } from './safe-text.js';
import { FORBIDDEN_CHARACTERS, codePoints as hex } from '../../test/support/forbidden-characters.js';

describe('SafeText', () => {
  const validator = createValidator(Type.Object({ name: SafeText({ maxLength: 64 }) }));

  for (const [kind, chars] of Object.entries(FORBIDDEN_CHARACTERS)) {
    for (const c of chars) {
      it(`refuses a ${kind} (${hex(c)}) anywhere in a name, saying why`, () => {
        for (const value of [c, `${c}abc`, `ab${c}c`, `abc${c}`]) {
          const errors = validator.errors({ name: value });
          assert.deepEqual(errors, [{ path: 'name', message: 'must not contain control, bidi or zero-width characters' }], hex(value));
        }
      });
    }
  }

  for (const ok of ['alice', 'Zoë', 'e\u0301', '山田太郎', 'Ωmega', 'alice smith', '🔑 prod', 'a.b_c-d~e', 'מנהל', 'مدير']) {
    it(`accepts ${JSON.stringify(ok)}`, () => assert.deepEqual(validator.errors({ name: ok }), []));
  }

  it('refuses the extra characters it is given, naming them', () => {
    const tags = createValidator(SafeText({ maxLength: 8, alsoRefuse: ',\\s' }));
    for (const bad of ['a,b', 'a b', 'a\u00a0b', 'a\u3000b']) {
      assert.deepEqual(tags.errors(bad), [{ path: '(root)', message: 'must not contain ",", whitespace, control, bidi or zero-width characters' }], bad);
    }
    const user = createValidator(SafeText({ maxLength: 8, alsoRefuse: ':' }));
    assert.equal(user.errors('a:b')[0]?.message, 'must not contain ":", control, bidi or zero-width characters');
  });

  it('is recognised by its pattern, and no other pattern is', () => {
    assert.equal(isSafeTextSchema(SafeText({ maxLength: 1, alsoRefuse: ':' })), true);
    assert.equal(isSafeTextSchema(Type.String({ pattern: '^[a-z]+$' })), false);
    assert.equal(isSafeTextSchema(Type.String()), false);
    assert.equal(safeTextMessage('^[a-z]+$'), undefined);
  });
});

describe('normalizeText', () => {
  const Name = SafeText({ maxLength: 64 });
  const schema = Type.Object({
    username: Type.Optional(Type.Union([Name, Type.Null()])),
    tags: Type.Optional(Type.Array(Name)),
    ref: Type.Optional(Type.Union([Type.Object({ id: Type.String() }), Type.Object({ username: Name })])),
    password: Type.Optional(Type.String()),
  });
  const nfd = 'Jose\u0301';
  const nfc = 'José';

  it('turns SafeText strings into NFC wherever the schema puts them: fields, unions, array items, nested objects', () => {
    const out = normalizeText(schema, { username: nfd, tags: [nfd, 'x'], ref: { username: nfd }, password: nfd });
    assert.deepEqual(out, { username: nfc, tags: [nfc, 'x'], ref: { username: nfc }, password: nfd });
  });

  it('leaves other strings (secrets included), unknown fields and wrong shapes as they are, without mutating the input', () => {
    const input = { password: nfd, other: nfd, tags: nfd, username: 42 };
    assert.deepEqual(normalizeText(schema, input), input);
    const frozen = Object.freeze({ username: nfd });
    assert.equal(normalizeText(schema, frozen).username, nfc);
    assert.equal(frozen.username, nfd);
  });
});
