/**
 * The write-time rules of a certificate where references are involved: what is known is checked,
 * what is not is left to the node, and the alternate pair's key type is read from whichever side
 * is literal.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createTestCa, type TestCertificate } from '../../test/support/certificates.js';
import { certificateProblems, literalPem } from './certificate-checks.js';

describe('certificate checks', () => {
  let ecdsa: TestCertificate;
  let rsa: TestCertificate;
  let otherRsa: TestCertificate;

  before(async () => {
    const ca = await createTestCa();
    ecdsa = await ca.issue({ names: ['e.test'] });
    rsa = await ca.issue({ names: ['r.test'], keyType: 'rsa' });
    otherRsa = await ca.issue({ names: ['o.test'], keyType: 'rsa' });
  });

  it('tells a literal PEM from a whole reference, and refuses a malformed or embedded one', () => {
    assert.deepEqual(literalPem('-----BEGIN CERTIFICATE-----'), { pem: '-----BEGIN CERTIFICATE-----' });
    assert.deepEqual(literalPem('{vault://env/tls-key}'), { pem: null });
    assert.deepEqual(literalPem(null), { pem: null });
    assert.match((literalPem('{vault://env/') as { problem: string }).problem, /without a closing/);
    assert.match((literalPem('key: {vault://env/k}') as { problem: string }).problem, /whole value/);
    assert.match((literalPem('{vault://env/a}{vault://env/b}') as { problem: string }).problem, /more than one/);
  });

  it('accepts pairs whose unknown sides are references', () => {
    const now = Date.now();
    assert.deepEqual(certificateProblems({ cert: '{vault://env/c}', key: '{vault://env/k}' }, now), []);
    assert.deepEqual(certificateProblems({ cert: rsa.cert, key: '{vault://env/k}', cert_alt: '{vault://env/ca}', key_alt: ecdsa.key }, now), []);
  });

  it('reads the alternate pair’s key type from a literal key when its certificate is a reference', () => {
    const problems = certificateProblems({ cert: '{vault://env/c}', key: rsa.key, cert_alt: '{vault://env/ca}', key_alt: otherRsa.key }, Date.now());
    assert.deepEqual(
      problems.map((p) => p.path),
      ['cert_alt'],
    );
    assert.match(problems[0]!.message, /RSA key like cert/);
  });

  it('does not compare types when one pair has no literal side', () => {
    const problems = certificateProblems({ cert: '{vault://env/c}', key: '{vault://env/k}', cert_alt: otherRsa.cert, key_alt: otherRsa.key }, Date.now());
    assert.deepEqual(problems, []);
  });

  it('checks a literal side against the clock even when the other is a reference', () => {
    const later = Date.now() + 400 * 86_400_000;
    const problems = certificateProblems({ cert: ecdsa.cert, key: '{vault://env/k}' }, later);
    assert.deepEqual(
      problems.map((p) => p.path),
      ['cert'],
    );
    assert.match(problems[0]!.message, /has expired/);
  });
});
