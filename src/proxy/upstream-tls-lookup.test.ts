import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createTestCa, type TestCa, type TestCertificate } from '../../test/support/certificates.js';
import { createUpstreamTlsLookup } from './upstream-tls-lookup.js';

describe('createUpstreamTlsLookup', () => {
  let ca: TestCa;
  let leaf: TestCertificate;
  let otherLeaf: TestCertificate;

  before(async () => {
    ca = await createTestCa();
    leaf = await ca.issue({ names: ['client'], client: true, keyType: 'rsa' });
    otherLeaf = await ca.issue({ names: ['other'] });
  });

  it('answers undefined for an id the snapshot does not hold, and the PEMs of a usable one', () => {
    const lookup = createUpstreamTlsLookup({
      caCertificates: [{ id: 'ca', cert: ca.cert }],
      clientCertificates: [{ id: 'c', cert: leaf.cert, key: leaf.key }],
    });
    assert.equal(lookup.caCertificate('nope'), undefined);
    assert.equal(lookup.clientCertificate('nope'), undefined);
    assert.equal(lookup.caCertificate('ca'), ca.cert);
    assert.deepEqual(lookup.clientCertificate('c'), { cert: leaf.cert, key: leaf.key });
  });

  describe('null (could not be loaded), reported once with a reason and never PEM text', () => {
    const oversize = () => `${ca.cert}${'x'.repeat(64 * 1024)}`;
    const cases: [string, () => { ca?: string | null; cert?: string | null; key?: string | null }, string][] = [
      ['a CA whose PEM was not resolved', () => ({ ca: null }), 'its certificate could not be loaded'],
      ['a CA that is not PEM', () => ({ ca: 'hello' }), 'its certificate is not a PEM certificate'],
      ['a CA certificate that is a leaf', () => ({ ca: leaf.cert }), 'its certificate is not a CA certificate (basicConstraints CA:TRUE)'],
      ['a CA over 64 KiB', () => ({ ca: oversize() }), 'its certificate is over 65536 characters'],
      ['a client certificate not resolved', () => ({ cert: null, key: leaf.key }), 'its certificate could not be loaded'],
      ['a client key not resolved', () => ({ cert: leaf.cert, key: null }), 'its key could not be loaded'],
      ['a client certificate that is a key', () => ({ cert: leaf.key, key: leaf.key }), 'its certificate is not a PEM certificate'],
      ['a client key that is a certificate', () => ({ cert: leaf.cert, key: leaf.cert }), 'its key is not a PEM private key'],
      ['a client key of another certificate', () => ({ cert: leaf.cert, key: otherLeaf.key }), 'its key does not match its certificate'],
      ['a client key over 16 KiB', () => ({ cert: leaf.cert, key: leaf.key + ' '.repeat(16 * 1024) }), 'its key is over 16384 characters'],
    ];
    for (const [name, material, reason] of cases) {
      it(`${name}: ${reason}`, () => {
        const m = material();
        const reports: string[][] = [];
        const lookup = createUpstreamTlsLookup(
          {
            caCertificates: 'ca' in m ? [{ id: 'x', cert: m.ca ?? null }] : [],
            clientCertificates: 'ca' in m ? [] : [{ id: 'x', cert: m.cert ?? null, key: m.key ?? null }],
          },
          (kind, id, why) => reports.push([kind, id, why]),
        );
        const get = () => ('ca' in m ? lookup.caCertificate('x') : lookup.clientCertificate('x'));
        assert.equal(get(), null);
        assert.equal(get(), null, 'the second service referencing it gets the same answer');
        assert.deepEqual(reports, [['ca' in m ? 'ca_certificates' : 'certificates', 'x', reason]], 'checked and reported once');
        assert.ok(!reason.includes('-----'));
      });
    }
  });
});
