import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { unexpectedAnswer, vaultErrorText } from './vault-refusal.js';

describe('vaultErrorText', () => {
  it('joins Vault’s errors on one line, cutting out the credentials it is given and anything token-shaped', () => {
    const text = vaultErrorText(
      { errors: ['1 error occurred:\n\t* bad token my-role-secret', 'echo: hvs.CAESIAbCdEfGhIjKlMnOpQrStUv and s.AbCdEfGhIjKlMnOpQrStUvWx'] },
      ['my-role-secret', ''],
    );
    assert.equal(text, '1 error occurred: * bad token [redacted]; echo: [redacted] and [redacted]');
  });

  it('is empty without an errors list, and at most 200 characters', () => {
    for (const body of [null, {}, { errors: 'x' }, { errors: [] }, { errors: [1, null] }]) assert.equal(vaultErrorText(body, []), '');
    assert.equal(vaultErrorText({ errors: ['x'.repeat(1000)] }, []).length, 200);
  });
});

describe('unexpectedAnswer', () => {
  it('is unavailable, naming the status and what was being done', () => {
    const err = unexpectedAnswer(503, { errors: ['Vault is sealed'] }, 'reading "secret/app"', []);
    assert.equal(err.kind, 'unavailable');
    assert.equal(err.message, 'hcv: Vault answered 503 reading "secret/app" (Vault is sealed)');
    const redirect = unexpectedAnswer(307, null, 'reading "secret/app"', []);
    assert.match(redirect.message, /redirect \(307\) reading "secret\/app", which is not followed/);
  });
});
