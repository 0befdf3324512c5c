/**
 * Failure shapes the fakes cannot produce (the backend tests cover the rest through the real
 * clients): the Entra and managed-identity errors as `@azure/identity` builds them, unknown errors,
 * and service codes that are free text.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuthenticationError, CredentialUnavailableError } from '@azure/identity';
import { azureFailure } from './azure-failure.js';

const restError = (statusCode: number | undefined, code: string | undefined) =>
  Object.assign(new Error('server text'), { name: 'RestError', statusCode, code });

describe('azureFailure', () => {
  const cases: [string, unknown, string, readonly string[]][] = [
    [
      'an Entra 500 (AuthenticationError)',
      new AuthenticationError(500, { error: 'server_error', error_description: 'AADSTS90000: oops' }),
      'unavailable',
      ['500', 'server_error'],
    ],
    ['an Entra 429', new AuthenticationError(429, { error: 'too_many_requests', error_description: 'slow down' }), 'unavailable', ['429']],
    [
      'an Entra 400 invalid_grant',
      new AuthenticationError(400, { error: 'invalid_grant', error_description: 'AADSTS50173: expired' }),
      'unauthorized',
      ['invalid_grant', 'AADSTS50173'],
    ],
    [
      'a managed identity endpoint out of the network',
      new CredentialUnavailableError('ManagedIdentityCredential: Network unreachable. Message: connect EHOSTUNREACH'),
      'unavailable',
      ['CredentialUnavailableError'],
    ],
    [
      'a managed identity the host lacks',
      new CredentialUnavailableError('ManagedIdentityCredential: Authentication failed. Message invalid_request: Identity not found'),
      'unauthorized',
      ['invalid_request'],
    ],
    ['a RestError without a status (TLS refused)', restError(undefined, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'unavailable', ['UNABLE_TO_VERIFY_LEAF_SIGNATURE']],
    ['a RestError 400', restError(400, 'BadParameter'), 'unavailable', ['400 BadParameter']],
    ['a TypeError', new TypeError('x is undefined'), 'unavailable', ['TypeError']],
    ['a thrown string', 'boom', 'unavailable', ['unexpected error']],
  ];
  for (const [title, err, kind, mentions] of cases) {
    it(`${title} → ${kind}`, () => {
      const failure = azureFailure(err, 'secret "db-pass"');
      assert.equal(failure.kind, kind, failure.message);
      assert.ok(failure.message.startsWith('Azure Key Vault secret "db-pass": '), failure.message);
      for (const m of mentions) assert.ok(failure.message.includes(m), `${failure.message} should mention ${m}`);
      assert.equal(failure.cause, undefined);
    });
  }

  it('echoes codes only: free text in a code, the server message or an error description stays out', () => {
    const secret = 'hunter2 Bearer eyJ0eXAi';
    for (const err of [
      restError(500, `InternalError ${secret}`),
      Object.assign(restError(403, 'Forbidden'), { message: secret }),
      new AuthenticationError(401, { error: 'invalid_client', error_description: secret }),
      new CredentialUnavailableError(`ManagedIdentityCredential: Authentication failed. Message ${secret}`),
    ]) {
      const failure = azureFailure(err, 'secret "db-pass"');
      assert.ok(!failure.message.includes('hunter2') && !failure.message.includes('eyJ0eXAi'), failure.message);
    }
  });
});
