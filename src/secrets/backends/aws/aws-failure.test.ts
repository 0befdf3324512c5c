/**
 * What each thing the SDK throws becomes: its kind, and a message that names the secret and the
 * AWS code but never text the far side or a credential source chose.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { STSServiceException } from '@aws-sdk/client-sts';
import { VaultBackendError } from '../../vault-backend.js';
import { AssumeRoleError, awsFailure, refusedCredentials } from './aws-failure.js';
import { AnswerTooLargeError } from './capped-stream-collector.js';

const TOKEN = 'FwoGZXIvYXdzEJr//////////wEaDFAKE+token/for=tests';
const sm = (name: string, status = 400, requestId = '0c5e2bb4-3b3a-4f4e-9c39-2a5d1f0a4c11') =>
  new SecretsManagerServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status, requestId }, message: `service text ${TOKEN}` });
const sts = (name: string, status = 403) =>
  new STSServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: `service text ${TOKEN}` });
/** A service error of a client the backend does not import (the SSO portal's, the nested STS of web identity). */
const other = (name: string, status: number) =>
  Object.assign(new Error(`service text ${TOKEN}`), { name, $fault: 'client', $metadata: { httpStatusCode: status } });
const named = (name: string, message: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(message), { name, ...extra });

const context = { resource: 'payments/db', roleArn: 'arn:aws:iam::123456789012:role/reader', aborted: false };

describe('awsFailure', () => {
  it('gives each error its kind and a message naming the secret and the code, never the far side’s text', () => {
    for (const [err, kind, expected] of [
      [
        sm('ResourceNotFoundException'),
        'not_found',
        /^AWS Secrets Manager could not read secret "payments\/db": no such secret.*\(ResourceNotFoundException, HTTP 400, request 0c5e2bb4-/,
      ],
      [sm('InvalidRequestException'), 'not_found', /scheduled for deletion.*InvalidRequestException/],
      [sm('AccessDeniedException'), 'unauthorized', /may not read.*AccessDeniedException/],
      [sm('DecryptionFailure'), 'unauthorized', /KMS key.*DecryptionFailure/],
      [sm('UnrecognizedClientException', 403), 'unauthorized', /credentials were refused.*HTTP 403/],
      [sm('ThrottlingException'), 'unavailable', /throttled/],
      [sm('InternalServiceError', 500), 'unavailable', /service error.*HTTP 500/],
      [sm('BrandNewException'), 'unavailable', /an unexpected answer \(BrandNewException, HTTP 400/],
      [
        new AssumeRoleError(sts('AccessDenied')),
        'unauthorized',
        /^assuming role arn:aws:iam::123456789012:role\/reader to read secret "payments\/db" failed: .*AccessDenied, HTTP 403/,
      ],
      [new AssumeRoleError(sts('InvalidClientTokenId')), 'unauthorized', /assuming role .*credentials were refused \(InvalidClientTokenId/],
      [
        new AssumeRoleError(named('Error', `connect ECONNREFUSED ${TOKEN}`, { code: 'ECONNREFUSED' })),
        'unavailable',
        /^assuming role .* failed \(Error, ECONNREFUSED\)$/,
      ],
      [
        sts('InvalidIdentityTokenException', 400),
        'unauthorized',
        /^obtaining AWS credentials to read secret "payments\/db" failed: the web identity token was refused/,
      ],
      [other('UnauthorizedException', 401), 'unavailable', /^obtaining AWS credentials .*\(UnauthorizedException, HTTP 401\)/],
    ] as const) {
      const failure = awsFailure(err, context);
      assert.equal(failure.kind, kind, failure.message);
      assert.match(failure.message, expected);
      assert.ok(!failure.message.includes('service text') && !failure.message.includes('FwoG'), failure.message);
    }
  });

  it('shows an error code and a request id only when they look like one, so an echoed token stays out', () => {
    const echoed = awsFailure(sm(TOKEN, 400, TOKEN), context);
    assert.equal(echoed.kind, 'unavailable');
    assert.match(echoed.message, /an unrecognised error code, HTTP 400\)$/);
    assert.ok(!echoed.message.includes('FwoG'), echoed.message);
    assert.ok(!awsFailure(sm('ResourceNotFoundException', 400, `id/${TOKEN}`), context).message.includes('FwoG'));
  });

  it('shows the SDK’s own sentences about missing credentials, and withholds what a provider wrapped verbatim', () => {
    for (const [name, message, shown] of [
      ['CredentialsProviderError', 'Could not load credentials from any providers', 'Could not load credentials from any providers'],
      [
        'CredentialsProviderError',
        'Profile team could not be found in shared credentials file.',
        'Profile team could not be found in shared credentials file.',
      ],
      [
        'CredentialsProviderError',
        'The SSO session associated with this profile has expired. To refresh this SSO session run aws sso login',
        'The SSO session associated with this profile has expired.',
      ],
      ['TokenProviderError', "Token is expired. To refresh this SSO session run 'aws sso login' with the corresponding profile.", 'Token is expired.'],
      ['ProviderError', 'EC2 Instance Metadata Service access disabled', 'EC2 Instance Metadata Service access disabled'],
      [
        'CredentialsProviderError',
        `SyntaxError: Unexpected token 'F', ..."ccessKey":${TOKEN}"... is not valid JSON`,
        '(CredentialsProviderError, SyntaxError)',
      ],
      ['CredentialsProviderError', `UnauthorizedException: Session token ${TOKEN} not found or invalid`, '(CredentialsProviderError, UnauthorizedException)'],
      ['CredentialsProviderError', `Command failed: vault-helper --token ${TOKEN}\nerror: ${TOKEN}`, '(CredentialsProviderError)'],
      ['CredentialsProviderError', `Profile dev credential_process returned invalid JSON.\n${TOKEN}`, 'Profile dev credential_process returned invalid JSON.'],
    ] as const) {
      const failure = awsFailure(named(name, message), context);
      assert.equal(failure.kind, 'unauthorized');
      assert.ok(failure.message.startsWith('no AWS credentials to read secret "payments/db": '), failure.message);
      assert.ok(failure.message.includes(shown), failure.message);
      assert.ok(!failure.message.includes('FwoG'), failure.message);
    }
    const long = awsFailure(named('CredentialsProviderError', `Profile ${'p'.repeat(400)} could not be found in shared credentials file.`), context);
    assert.ok(long.message.length < 300 && long.message.endsWith('…'), long.message);
  });

  it('names transport failures by their code only, and everything after the signal aborted as a timeout', () => {
    const refused = awsFailure(named('Error', `connect ECONNREFUSED 127.0.0.1:9 ${TOKEN}`, { code: 'ECONNREFUSED' }), context);
    assert.equal(refused.kind, 'unavailable');
    assert.match(refused.message, /\(Error, ECONNREFUSED\)$/);
    assert.ok(!refused.message.includes('FwoG'));
    assert.match(awsFailure(named('Error', 'odd', { code: TOKEN }), context).message, /\(Error\)$/);
    assert.match(awsFailure(named('SyntaxError', `Unexpected token 'F', "${TOKEN}" is not valid JSON`), context).message, /\(SyntaxError\)$/);
    assert.match(awsFailure(new AnswerTooLargeError(1024), context).message, /answer for secret "payments\/db" is larger than 1024 bytes/);
    assert.match(awsFailure(new Error('Region is missing'), context).message, /no AWS region to read secret "payments\/db"/);
    assert.equal(awsFailure('a string', context).kind, 'unavailable');
    for (const err of [sm('ResourceNotFoundException'), named('AbortError', 'aborted'), new Error('anything')]) {
      const late = awsFailure(err, { ...context, aborted: true });
      assert.equal(late.kind, 'unavailable');
      assert.match(late.message, /did not answer in time for secret "payments\/db"/);
    }
  });

  it('passes a VaultBackendError through as it is', () => {
    const own = new VaultBackendError('not_found', 'secret "x" holds binary data that is not UTF-8 text');
    assert.equal(awsFailure(own, context), own);
  });
});

describe('refusedCredentials', () => {
  it('is true for the codes after which fresh credentials can help, and only for service errors', () => {
    for (const code of [
      'UnrecognizedClientException',
      'InvalidSignatureException',
      'ExpiredTokenException',
      'InvalidClientTokenId',
      'SignatureDoesNotMatch',
      'ExpiredToken',
      'InvalidIdentityTokenException',
    ])
      assert.equal(refusedCredentials(other(code, 403)), code);
    assert.equal(refusedCredentials(new AssumeRoleError(sts('InvalidClientTokenId'))), 'InvalidClientTokenId', 'STS refusing the chain’s keys');
    assert.equal(refusedCredentials(new AssumeRoleError(sts('AccessDenied'))), undefined);
    for (const code of ['AccessDeniedException', 'AccessDenied', 'ResourceNotFoundException', 'ThrottlingException', 'DecryptionFailure'])
      assert.equal(refusedCredentials(other(code, 400)), undefined, code);
    assert.equal(refusedCredentials(named('UnrecognizedClientException', 'not a service error')), undefined);
    assert.equal(refusedCredentials(undefined), undefined);
  });
});
