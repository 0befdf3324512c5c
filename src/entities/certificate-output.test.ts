/** What certificates and CA certificates show besides their fields, at a given time. */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createTestCa, DAY, type TestCa, type TestCertificate } from '../../test/support/certificates.js';
import { caCertificateOutput, certificateOutput, pemFacts } from './certificate-output.js';

describe('certificate output', () => {
  let ca: TestCa;
  let leaf: TestCertificate;
  let notAfter: number;

  before(async () => {
    ca = await createTestCa({ name: 'Output CA' });
    leaf = await ca.issue({ names: ['out.test'] });
    notAfter = Math.floor(Date.parse(leaf.x509.validTo) / 1000);
  });

  it('shows the facts of cert and cert_alt, the SNI names, and no warning far from expiry', () => {
    const shown = certificateOutput(() => Date.now()).show({ cert: leaf.cert, cert_alt: leaf.cert + ca.cert, snis: ['out.test'] });
    assert.equal(shown['subject'], 'CN=out.test');
    assert.deepEqual(shown['sans'], ['out.test']);
    assert.equal((shown['alt'] as Record<string, unknown>)['issuer'], 'CN=Output CA');
    assert.deepEqual(shown['snis'], ['out.test']);
    assert.deepEqual(shown['warnings'], []);
  });

  it('warns for each pair within 30 days of its end, and after it', () => {
    const near = certificateOutput(() => (notAfter - (5 * DAY) / 1000) * 1000).show({ cert: leaf.cert, cert_alt: leaf.cert });
    assert.deepEqual(
      (near['warnings'] as string[]).map((w) => w.split(' (')[0]),
      ['cert expires in 5 days', 'cert_alt expires in 5 days'],
    );
    const past = caCertificateOutput(() => (notAfter + 1) * 1000).show({ cert: leaf.cert });
    assert.match((past['warnings'] as string[])[0]!, /^cert has expired/);
  });

  it('shows null facts for a reference, and alt null without an alternate pair', () => {
    const shown = certificateOutput().show({ cert: '{vault://env/c}', cert_alt: null });
    assert.deepEqual([shown['subject'], shown['sans'], shown['alt'], shown['warnings']], [null, null, null, []]);
    assert.equal(pemFacts('{vault://env/c}'), null);
    assert.equal(pemFacts('garbage'), null);
  });

  it('shows a CA certificate’s facts without names', () => {
    const shown = caCertificateOutput().show({ cert: ca.cert });
    assert.equal(shown['subject'], 'CN=Output CA');
    assert.equal('sans' in shown, false);
    assert.match(String(shown['fingerprint_sha256']), /^[0-9a-f]{64}$/);
  });
});
