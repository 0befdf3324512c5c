/** Reading an uploaded certificate chain: leaf first, and every way an upload can be wrong, refused without quoting it. */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createTestCa, type TestCa, type TestCertificate } from '../../test/support/certificates.js';
import { MAX_CERTIFICATE_PEM_LENGTH, MAX_CHAIN_LENGTH, parseCertificateChain } from './certificate-chain.js';

describe('parseCertificateChain', () => {
  let ca: TestCa;
  let leaf: TestCertificate;

  before(async () => {
    ca = await createTestCa({ name: 'Chain Test CA' });
    leaf = await ca.issue({ names: ['chain.test'] });
  });

  it('reads a single certificate', () => {
    const parsed = parseCertificateChain(leaf.cert);
    assert.ok(parsed.ok);
    assert.equal(parsed.chain.length, 1);
    assert.equal(parsed.chain[0]!.subject, 'CN=chain.test');
  });

  it('reads a chain with the leaf first, text between blocks ignored', () => {
    const parsed = parseCertificateChain(`subject=CN=chain.test\n${leaf.cert}\nissuer=…\n${ca.cert}`);
    assert.ok(parsed.ok);
    assert.deepEqual(
      parsed.chain.map((c) => c.subject),
      ['CN=chain.test', 'CN=Chain Test CA'],
    );
  });

  it(`reads ${MAX_CHAIN_LENGTH} certificates and refuses one more`, () => {
    assert.ok(parseCertificateChain(Array.from({ length: MAX_CHAIN_LENGTH }, () => ca.cert).join('')).ok);
    const over = parseCertificateChain(Array.from({ length: MAX_CHAIN_LENGTH + 1 }, () => ca.cert).join(''));
    assert.ok(!over.ok);
    assert.match(over.problem, /more than 10 certificates/);
  });

  it('refuses, naming the problem and never quoting the input:', async (t) => {
    const body = leaf.cert.split('\n')[1]!;
    const corrupt = leaf.cert.replace(body, body.slice(0, 20) + '!!!!' + body.slice(24));
    const cases: [string, string, RegExp][] = [
      ['garbage', 'not a certificate at all', /holds no PEM certificate/],
      ['base64 without PEM lines', body, /holds no PEM certificate/],
      ['a private key', leaf.key, /holds a private key/],
      ['a certificate followed by its key', leaf.cert + leaf.key, /holds a private key/],
      ['a public key', '-----BEGIN PUBLIC KEY-----\nQUJD\n-----END PUBLIC KEY-----\n', /holds a PUBLIC KEY block/],
      ['a corrupt body', corrupt, /is not a valid certificate/],
      ['a corrupt second certificate', leaf.cert + corrupt, /certificate 2 of the chain is not a valid certificate/],
      ['an unterminated block', leaf.cert.replace('-----END CERTIFICATE-----', ''), /without its END line/],
      ['more than 64 KiB', leaf.cert + ' '.repeat(MAX_CERTIFICATE_PEM_LENGTH), /larger than 64 KiB/],
    ];
    for (const [what, pem, problem] of cases) {
      await t.test(what, () => {
        const parsed = parseCertificateChain(pem);
        assert.ok(!parsed.ok);
        assert.match(parsed.problem, problem);
        assert.ok(!parsed.problem.includes(body.slice(0, 16)), 'the problem quotes nothing of the input');
      });
    }
  });
});
