/** The facts shown of a certificate, its validity at a time, and the expiry warning. */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createTestCa, DAY, HOUR, type TestCa, type TestCertificate } from '../../test/support/certificates.js';
import { certificateFacts, certificateValidity, EXPIRY_WARNING_DAYS, expiryWarning, subjectAltNames } from './certificate-facts.js';

describe('certificateFacts', () => {
  let ca: TestCa;
  let leaf: TestCertificate;
  const notAfter = Date.UTC(2030, 0, 2, 3, 4, 5);

  before(async () => {
    ca = await createTestCa({ name: 'Facts CA' });
    leaf = await ca.issue({ names: ['facts.test', '*.facts.test', '127.0.0.1', '::1'], notAfter });
  });

  it('shows subject, issuer, names, validity in Unix seconds and the SHA-256 of the DER', () => {
    const facts = certificateFacts(leaf.x509);
    assert.equal(facts.subject, 'CN=facts.test');
    assert.equal(facts.issuer, 'CN=Facts CA');
    assert.deepEqual(facts.sans, ['facts.test', '*.facts.test', '127.0.0.1', '::1']);
    assert.equal(facts.not_after, notAfter / 1000);
    assert.ok(Math.abs(facts.not_before - (Date.now() - HOUR) / 1000) < 120);
    assert.equal(facts.fingerprint_sha256, createHash('sha256').update(leaf.x509.raw).digest('hex'));
    assert.equal(facts.fingerprint_sha256, leaf.x509.fingerprint256.replaceAll(':', '').toLowerCase());
  });

  it('joins a multi-part subject in the order the certificate lists it', async () => {
    const multi = await createTestCa({ name: 'Multi CA, O=Example, C=DE' });
    const facts = certificateFacts(multi.x509);
    assert.equal(facts.subject, 'CN=Multi CA, O=Example, C=DE');
    assert.equal(facts.issuer, facts.subject);
    assert.deepEqual(facts.sans, [], 'no subjectAltName extension');
  });
});

describe('subjectAltNames', () => {
  const cases: [string, string | undefined, string[]][] = [
    ['no extension', undefined, []],
    ['DNS and IP entries', 'DNS:a.test, DNS:*.b.test, IP Address:10.0.0.1', ['a.test', '*.b.test', '10.0.0.1']],
    ['IPv6 in Node’s long form, shortened', 'IP Address:0:0:0:0:0:0:0:1, IP Address:2001:DB8:0:0:0:0:0:1', ['::1', '2001:db8::1']],
    ['other types left out', 'email:a@b.test, URI:https://x.test/, DNS:c.test, othername:<unsupported>', ['c.test']],
    ['a JSON-quoted value holding a comma', 'DNS:"evil.test, DNS:good.test", DNS:d.test', ['evil.test, DNS:good.test', 'd.test']],
  ];
  for (const [what, text, names] of cases) {
    it(`reads ${what}`, () => assert.deepEqual(subjectAltNames(text), names));
  }
});

describe('certificateValidity and expiryWarning', () => {
  let cert: TestCertificate;
  const notAfter = Date.UTC(2031, 5, 1);

  before(async () => {
    cert = await (await createTestCa()).issue({ names: ['v.test'], notBefore: Date.UTC(2031, 0, 1), notAfter });
  });

  it('says a certificate is not valid before its window, valid in it and expired after it', () => {
    assert.match(certificateValidity(cert.x509, Date.UTC(2030, 11, 31)) ?? '', /^is not valid yet \(not before 2031-01-01T00:00:00Z\)$/);
    assert.equal(certificateValidity(cert.x509, Date.UTC(2031, 2, 1)), null);
    assert.match(certificateValidity(cert.x509, notAfter + 1000) ?? '', /^has expired \(not after 2031-06-01T00:00:00Z\)$/);
  });

  const warnings: [string, number, RegExp | null][] = [
    ['none 31 days before', notAfter - 31 * DAY, null],
    [`one ${EXPIRY_WARNING_DAYS} days before`, notAfter - 30 * DAY, /^cert expires in 30 days \(not after 2031-06-01T00:00:00Z\)$/],
    ['one a day before', notAfter - DAY - HOUR, /^cert expires in 1 day /],
    ['one hours before', notAfter - HOUR, /^cert expires in less than a day /],
    ['one after it expired', notAfter + DAY, /^cert has expired \(not after 2031-06-01T00:00:00Z\)$/],
  ];
  for (const [what, now, expected] of warnings) {
    it(`gives ${what}`, () => {
      const warning = expiryWarning({ not_after: notAfter / 1000 }, now, 'cert');
      if (expected === null) assert.equal(warning, null);
      else assert.match(warning ?? '', expected);
    });
  }
});
