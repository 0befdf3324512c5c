/** Checking a certificate with its key: validity now, supported types, the match, and what is left unknown. */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createTestCa, DAY, type TestCa, type TestCertificate } from '../../test/support/certificates.js';
import { checkKeyPair, KEY_MISMATCH } from './key-pair-check.js';

describe('checkKeyPair', () => {
  let ca: TestCa;
  let ecdsa: TestCertificate;
  let rsa: TestCertificate;
  let expired: TestCertificate;
  let future: TestCertificate;

  before(async () => {
    ca = await createTestCa();
    ecdsa = await ca.issue({ names: ['pair.test'] });
    rsa = await ca.issue({ names: ['pair.test'], keyType: 'rsa' });
    expired = await ca.issue({ names: ['old.test'], notBefore: Date.now() - 30 * DAY, notAfter: Date.now() - DAY });
    future = await ca.issue({ names: ['new.test'], notBefore: Date.now() + DAY, notAfter: Date.now() + 30 * DAY });
  });

  it('accepts a matching pair and says its key type', () => {
    const ok = checkKeyPair({ cert: ecdsa.cert, key: ecdsa.key }, Date.now());
    assert.deepEqual([ok.certProblem, ok.keyProblem, ok.keyType, ok.chain?.length], [null, null, 'ecdsa', 1]);
    const withChain = checkKeyPair({ cert: rsa.cert + ca.cert, key: rsa.key }, Date.now());
    assert.deepEqual([withChain.certProblem, withChain.keyProblem, withChain.keyType, withChain.chain?.length], [null, null, 'rsa', 2]);
  });

  it('refuses a key that is not the certificate’s, of the same or of the other type', () => {
    for (const key of [rsa.key, ca.key]) {
      const report = checkKeyPair({ cert: ecdsa.cert, key }, Date.now());
      assert.equal(report.keyProblem, KEY_MISMATCH);
      assert.equal(report.certProblem, null);
    }
  });

  it('refuses an expired certificate and one not valid yet, on the certificate', () => {
    assert.match(checkKeyPair({ cert: expired.cert, key: expired.key }, Date.now()).certProblem ?? '', /has expired \(not after \d{4}-/);
    assert.match(checkKeyPair({ cert: future.cert, key: future.key }, Date.now()).certProblem ?? '', /is not valid yet \(not before \d{4}-/);
    assert.equal(checkKeyPair({ cert: future.cert, key: future.key }, Date.now() + 2 * DAY).certProblem, null, 'valid at a later time');
  });

  it('checks what is known when one side is a reference (null)', () => {
    const certOnly = checkKeyPair({ cert: rsa.cert, key: null }, Date.now());
    assert.deepEqual([certOnly.certProblem, certOnly.keyProblem, certOnly.keyType], [null, null, 'rsa']);
    const keyOnly = checkKeyPair({ cert: null, key: ecdsa.key }, Date.now());
    assert.deepEqual([keyOnly.certProblem, keyOnly.keyProblem, keyOnly.keyType, keyOnly.chain], [null, null, 'ecdsa', null]);
    assert.match(checkKeyPair({ cert: expired.cert, key: null }, Date.now()).certProblem ?? '', /has expired/);
    assert.match(checkKeyPair({ cert: null, key: 'garbage' }, Date.now()).keyProblem ?? '', /holds no PEM private key/);
  });

  it('reports both sides when both are wrong', () => {
    const report = checkKeyPair({ cert: 'garbage', key: ecdsa.cert }, Date.now());
    assert.match(report.certProblem ?? '', /holds no PEM certificate/);
    assert.match(report.keyProblem ?? '', /holds a certificate/);
    assert.equal(report.keyType, null);
  });
});
