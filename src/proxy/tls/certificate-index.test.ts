import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createCertificateIndex, type CertificateMaterial, type SniBinding } from './certificate-index.js';
import { createTestCa, type TestCertificate } from '../../../test/support/certificates.js';

const options = (logger = pino({ level: 'silent' })) => ({
  minVersion: 'TLSv1.2' as const,
  ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256',
  logger,
});

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void (raw.push(line), lines.push(JSON.parse(line))) });
  return { logger, lines, raw };
}

const material = (id: string, pair: TestCertificate, alt?: TestCertificate): CertificateMaterial => ({
  id,
  cert: pair.cert,
  key: pair.key,
  cert_alt: alt?.cert ?? null,
  key_alt: alt?.key ?? null,
});
const sni = (name: string, id: string): SniBinding => ({ name, certificate: { id } });

describe('createCertificateIndex: which certificate a server name gets', () => {
  let exact: TestCertificate;
  let wild: TestCertificate;
  let index: ReturnType<typeof createCertificateIndex>;
  /** Each certificate is also bound to a marker name, so a returned context can be told apart. */
  const which = (name: string | undefined) => {
    const found = index.contextFor(name);
    if (typeof found === 'string') return found;
    for (const label of ['exact', 'wild']) if (index.contextFor(`marker-${label}.test`) === found) return label;
    return 'unknown context';
  };

  before(async () => {
    const ca = await createTestCa();
    exact = await ca.issue({ names: ['api.example.com'] });
    wild = await ca.issue({ names: ['*.example.com'] });
    index = createCertificateIndex(
      [material('c-exact', exact), material('c-wild', wild)],
      [
        sni('api.example.com', 'c-exact'),
        sni('*.example.com', 'c-wild'),
        sni('marker-exact.test', 'c-exact'),
        sni('marker-wild.test', 'c-wild'),
        sni('Mixed.Example.ORG.', 'c-exact'),
        sni('*.Upper.Example.NET', 'c-wild'),
      ],
      options(),
    );
  });

  const cases: [string | undefined, string, string][] = [
    ['api.example.com', 'exact', 'an exact name'],
    ['web.example.com', 'wild', 'a wildcard covering one label'],
    ['API.EXAMPLE.COM', 'exact', 'an exact name in capitals'],
    ['api.example.com.', 'exact', 'an exact name with a trailing dot'],
    ['Web.Example.Com.', 'wild', 'a wildcard name in capitals with a trailing dot'],
    ['mixed.example.org', 'exact', 'a binding written in capitals with a trailing dot'],
    ['a.upper.example.net', 'wild', 'a wildcard binding written in capitals'],
    ['a.b.example.com', 'none', 'two labels under a wildcard'],
    ['example.com', 'none', 'the bare domain of a wildcard'],
    ['.example.com', 'none', 'an empty first label'],
    ['other.test', 'none', 'an unknown name'],
    ['127.0.0.1', 'none', 'an IP address'],
    ['::1', 'none', 'an IPv6 address'],
    [undefined, 'none', 'no server name'],
    ['', 'none', 'an empty server name'],
    ['.', 'none', 'a lone dot'],
    [`${'a'.repeat(250)}.example.com`, 'none', 'a name longer than DNS allows'],
  ];
  for (const [name, expected, what] of cases) {
    it(`gives ${expected} for ${what}`, () => assert.equal(which(name), expected));
  }

  it('prefers the exact name over a wildcard that also covers it', () => {
    assert.equal(which('api.example.com'), 'exact');
    assert.equal(which('www.example.com'), 'wild');
  });

  it('makes one secure context per certificate, shared by all its names', () => {
    assert.equal(index.contextFor('api.example.com'), index.contextFor('marker-exact.test'));
    assert.notEqual(index.contextFor('api.example.com'), index.contextFor('web.example.com'));
  });
});

describe('createCertificateIndex: fails closed', () => {
  let good: TestCertificate;
  let other: TestCertificate;
  let rsa: TestCertificate;

  before(async () => {
    const ca = await createTestCa();
    good = await ca.issue({ names: ['good.test'] });
    other = await ca.issue({ names: ['other.test'] });
    rsa = await ca.issue({ names: ['good.test'], keyType: 'rsa' });
  });

  /** `when`: a PEM that was not loaded is known when the state is built; what OpenSSL refuses, at the first handshake. */
  const broken: [string, () => CertificateMaterial, RegExp, 'build' | 'first use'][] = [
    ['a certificate whose key could not be loaded', () => ({ ...material('c1', good), key: null }), /could not be loaded/, 'build'],
    ['a certificate that could not be loaded', () => ({ ...material('c1', good), cert: null }), /could not be loaded/, 'build'],
    ['a key that does not match the certificate', () => ({ ...material('c1', good), key: other.key }), /key values mismatch/, 'first use'],
    ['a certificate that is not PEM', () => ({ ...material('c1', good), cert: 'not a certificate' }), /no start line/, 'first use'],
    ['a truncated certificate', () => ({ ...material('c1', good), cert: good.cert.slice(0, 200) }), /./, 'first use'],
    ['a key that is not PEM', () => ({ ...material('c1', good), key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }), /./, 'first use'],
    ['an alternate key that does not match', () => ({ ...material('c1', good, rsa), key_alt: other.key }), /key values mismatch/, 'first use'],
    ['an alternate certificate without its key', () => ({ ...material('c1', good, rsa), key_alt: null }), /alternate/, 'build'],
    ['an alternate key without its certificate', () => ({ ...material('c1', good, rsa), cert_alt: null }), /alternate/, 'build'],
  ];
  for (const [what, make, reason, when] of broken) {
    it(`answers unusable, never none, for ${what}, and logs it once (at ${when}) without PEM`, () => {
      const { logger, lines, raw } = capturingLogger();
      const m = make();
      const index = createCertificateIndex([m], [sni('good.test', 'c1'), sni('*.good.test', 'c1'), sni('alias.test', 'c1')], options(logger));
      assert.equal(lines.length, when === 'build' ? 1 : 0);
      for (const name of ['good.test', 'a.good.test', 'alias.test', 'GOOD.TEST.']) assert.equal(index.contextFor(name), 'unusable', name);
      assert.equal(index.contextFor('unbound.test'), 'none');
      const warnings = lines.filter((l) => l['certificate'] === 'c1');
      assert.equal(warnings.length, 1, 'one line per certificate id, whatever the number of names');
      assert.match(String(warnings[0]!['reason']), reason);
      const text = raw.join('');
      assert.doesNotMatch(text, /BEGIN|PRIVATE|MII/);
      for (const pem of [good.key, other.key, rsa.key]) assert.ok(!text.includes(pem.split('\n')[1]!), 'no key material in the log');
    });
  }

  it('answers unusable for a name bound to a certificate that is missing from the state', () => {
    const index = createCertificateIndex([], [sni('ghost.test', 'gone')], options());
    assert.equal(index.contextFor('ghost.test'), 'unusable');
  });

  it('keeps a broken certificate from affecting the others', () => {
    const index = createCertificateIndex(
      [material('ok', other), { ...material('bad', good), key: null }],
      [sni('other.test', 'ok'), sni('good.test', 'bad')],
      options(),
    );
    assert.equal(typeof index.contextFor('other.test'), 'object');
    assert.equal(index.contextFor('good.test'), 'unusable');
  });

  it('accepts an ECDSA and an RSA pair in one context', () => {
    const index = createCertificateIndex([material('dual', good, rsa)], [sni('good.test', 'dual')], options());
    assert.equal(typeof index.contextFor('good.test'), 'object');
  });
});
