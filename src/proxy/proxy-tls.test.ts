import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from 'node:https';
import { connect as connectTcp } from 'node:net';
import type { CertificateMaterial, SniBinding } from './tls/certificate-index.js';
import type { RuntimeSnapshot } from './runtime-state.js';
import { createEntityFactory } from './testing/entities.js';
import { echoRequest, startUpstream, type Upstream } from './testing/harness.js';
import { handshake, recordTypes, sendTls, startRecordingRelay, startTlsProxy, type TestTlsProxy } from './testing/tls-harness.js';
import { rawExchange } from './testing/raw-http.js';
import { createTestCa, createSelfSignedTestCertificate, type TestCa, type TestCertificate } from '../../test/support/certificates.js';

const make = createEntityFactory();
const HANDSHAKE = 22;

const material = (id: string, pair: TestCertificate, alt?: TestCertificate): CertificateMaterial => ({
  id,
  cert: pair.cert,
  key: pair.key,
  cert_alt: alt?.cert ?? null,
  key_alt: alt?.key ?? null,
});
const sni = (name: string, id: string): SniBinding => ({ name, certificate: { id } });

async function handshakeErrors(proxy: TestTlsProxy): Promise<Record<string, number>> {
  const metric = await proxy.metrics.tlsHandshakeErrors.get();
  return Object.fromEntries(metric.values.map((v) => [String(v.labels['reason']), v.value]));
}

describe('HTTPS proxy listener: SNI selects the certificate', () => {
  let ca: TestCa;
  let upstream: Upstream;
  let proxy: TestTlsProxy;
  let defaults: TestCertificate;
  let exact: TestCertificate;
  let wildcard: TestCertificate;
  let dualEcdsa: TestCertificate;
  let dualRsa: TestCertificate;
  let rsaOnly: TestCertificate;
  let snapshot: (certificates: CertificateMaterial[], snis: SniBinding[]) => RuntimeSnapshot;

  before(async () => {
    ca = await createTestCa();
    [defaults, exact, wildcard, dualEcdsa, dualRsa, rsaOnly] = await Promise.all([
      createSelfSignedTestCertificate({ names: ['default.test'] }),
      ca.issue({ names: ['api.example.test'] }),
      ca.issue({ names: ['*.example.test'] }),
      ca.issue({ names: ['dual.test'] }),
      ca.issue({ names: ['dual.test'], keyType: 'rsa' }),
      ca.issue({ names: ['rsa.test'], keyType: 'rsa' }),
    ]);
    upstream = await startUpstream(echoRequest);
    const service = make.service({ name: 'echo', port: upstream.port });
    snapshot = (certificates, snis) => ({
      services: [service],
      routes: [make.route({ name: 'all', paths: ['/'], service: { id: service.id } })],
      consumers: [],
      plugins: [],
      certificates,
      snis,
    });
    proxy = await startTlsProxy(
      snapshot(
        [
          material('exact', exact),
          material('wild', wildcard),
          material('dual', dualEcdsa, dualRsa),
          material('rsa', rsaOnly),
          { ...material('broken', exact), key: null },
        ],
        [
          sni('api.example.test', 'exact'),
          sni('*.example.test', 'wild'),
          sni('dual.test', 'dual'),
          sni('rsa.test', 'rsa'),
          sni('broken.test', 'broken'),
          sni('*.broken.test', 'broken'),
        ],
      ),
      defaults,
    );
  });

  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  const selections: [string | undefined, () => TestCertificate, string][] = [
    ['api.example.test', () => exact, 'the exact name'],
    ['www.example.test', () => wildcard, 'a name the wildcard covers'],
    ['API.Example.TEST', () => exact, 'the exact name in capitals'],
    ['a.b.example.test', () => defaults, 'two labels under the wildcard (the default)'],
    ['example.test', () => defaults, 'the wildcard’s bare domain (the default)'],
    ['unknown.test', () => defaults, 'an unknown name (the default)'],
    [undefined, () => defaults, 'no SNI at all (the default)'],
  ];
  for (const [servername, expected, what] of selections) {
    it(`serves ${what} for SNI ${servername ?? '(none)'}`, async () => {
      const result = await handshake(proxy.tlsPort, servername === undefined ? {} : { servername });
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.fingerprint, expected().x509.fingerprint256);
    });
  }

  it('verifies against the CA for the names it serves (a real client with verification on)', async () => {
    for (const servername of ['api.example.test', 'www.example.test']) {
      const result = await handshake(proxy.tlsPort, { servername, rejectUnauthorized: true, ca: [ca.cert] });
      assert.ok(result.ok, `${servername}: ${JSON.stringify(result)}`);
    }
  });

  it('serves the ECDSA or the RSA pair of one certificate as the client’s signature algorithms allow', async () => {
    const ecdsa = await handshake(proxy.tlsPort, { servername: 'dual.test', sigalgs: 'ecdsa_secp256r1_sha256' });
    const rsa = await handshake(proxy.tlsPort, { servername: 'dual.test', sigalgs: 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256' });
    assert.ok(ecdsa.ok && rsa.ok);
    assert.equal(ecdsa.fingerprint, dualEcdsa.x509.fingerprint256);
    assert.equal(rsa.fingerprint, dualRsa.x509.fingerprint256);
  });

  it('serves an RSA certificate for its name although the default is ECDSA, over TLS 1.2 and 1.3 (Node’s SNICallback would serve the default)', async () => {
    for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
      const result = await handshake(proxy.tlsPort, { servername: 'rsa.test', maxVersion });
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.fingerprint, rsaOnly.x509.fingerprint256, maxVersion);
    }
  });

  it('reads a ClientHello that arrives a few bytes at a time', async () => {
    const relay = await startRecordingRelay(proxy.tlsPort, 7);
    try {
      const result = await handshake(relay.port, { servername: 'api.example.test' });
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.fingerprint, exact.x509.fingerprint256);
    } finally {
      await relay.close();
    }
  });

  for (const servername of ['broken.test', 'x.broken.test', 'BROKEN.TEST.']) {
    it(`refuses the handshake for ${servername}, bound to a certificate that cannot be loaded, without sending any certificate`, async () => {
      const before = (await handshakeErrors(proxy))['certificate_unusable']!;
      const relay = await startRecordingRelay(proxy.tlsPort);
      const result = await handshake(relay.port, { servername });
      await relay.close();
      assert.equal(result.ok, false);
      assert.ok(!recordTypes(relay.fromServer()).includes(HANDSHAKE), 'no ServerHello, no Certificate');
      assert.equal((await handshakeErrors(proxy))['certificate_unusable'], before + 1);
    });
  }

  it('negotiates h2 by ALPN when offered, http/1.1 when only it or no ALPN is offered, and proxies HTTP/1.1 over TLS', async () => {
    const cases: { offer: string[] | undefined; alpn: string | false }[] = [
      { offer: ['h2', 'http/1.1'], alpn: 'h2' },
      { offer: ['http/1.1', 'h2'], alpn: 'h2' },
      { offer: ['h2'], alpn: 'h2' },
      { offer: ['http/1.1'], alpn: 'http/1.1' },
      { offer: undefined, alpn: false },
    ];
    for (const { offer, alpn } of cases) {
      const result = await handshake(proxy.tlsPort, { servername: 'api.example.test', ...(offer ? { ALPNProtocols: offer } : {}) });
      assert.ok(result.ok, `handshake with ${offer}`);
      assert.equal(result.alpn, alpn, `ALPN for ${offer}`);
    }
    const refused = await handshake(proxy.tlsPort, { servername: 'api.example.test', ALPNProtocols: ['spdy/3'] });
    assert.equal(refused.ok, false, 'a client offering no protocol the proxy speaks is refused');
    const res = await sendTls(proxy.tlsPort, '/hello', { servername: 'api.example.test' });
    assert.equal(res.status, 200);
    assert.equal(res.json<{ url: string }>().url, '/hello');
  });

  it('uses a new state’s certificate for new connections while a keep-alive connection opened before keeps working', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
    try {
      const first = await sendTls(proxy.tlsPort, '/one', { servername: 'api.example.test', agent });
      assert.equal(first.socket.getPeerCertificate().fingerprint256, exact.x509.fingerprint256);
      const replacement = await ca.issue({ names: ['api.example.test'] });
      proxy.apply(snapshot([material('exact', replacement), material('wild', wildcard)], [sni('api.example.test', 'exact'), sni('*.example.test', 'wild')]));

      const fresh = await handshake(proxy.tlsPort, { servername: 'api.example.test' });
      assert.ok(fresh.ok);
      assert.equal(fresh.fingerprint, replacement.x509.fingerprint256, 'a new connection gets the new certificate');
      const again = await sendTls(proxy.tlsPort, '/two', { servername: 'api.example.test', agent });
      assert.equal(again.status, 200);
      assert.equal(again.socket, first.socket, 'the same connection');
      assert.equal(again.socket.getPeerCertificate().fingerprint256, exact.x509.fingerprint256, 'which keeps its certificate');
      // The name removed from the state falls back to the default for new connections.
      const removed = await handshake(proxy.tlsPort, { servername: 'dual.test' });
      assert.ok(removed.ok);
      assert.equal(removed.fingerprint, defaults.x509.fingerprint256);
    } finally {
      agent.destroy();
    }
  });

  it('counts handshakes that are not TLS, and keeps serving', async () => {
    const before = (await handshakeErrors(proxy))['not_tls']!;
    const answer = await rawExchange(proxy.tlsPort, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 2000);
    assert.equal(answer, '', 'no HTTP answer on the TLS port');
    assert.equal((await handshakeErrors(proxy))['not_tls'], before + 1);
    assert.ok((await handshake(proxy.tlsPort, { servername: 'api.example.test' })).ok);
  });
});

describe('HTTPS proxy listener: tls_require_sni', () => {
  let proxy: TestTlsProxy;
  let named: TestCertificate;

  before(async () => {
    const ca = await createTestCa();
    named = await ca.issue({ names: ['named.test'] });
    const defaults = await createSelfSignedTestCertificate({ names: ['default.test'] });
    proxy = await startTlsProxy(
      { services: [], routes: [], consumers: [], plugins: [], certificates: [material('named', named)], snis: [sni('named.test', 'named')] },
      defaults,
      { tls_require_sni: true },
    );
  });
  after(() => proxy.close());

  it('serves a name that has a certificate', async () => {
    const result = await handshake(proxy.tlsPort, { servername: 'named.test' });
    assert.ok(result.ok);
    assert.equal(result.fingerprint, named.x509.fingerprint256);
  });

  const refusals: [string, string | undefined, string][] = [
    ['a name without a certificate', 'unknown.test', 'sni_unknown'],
    ['a name under no wildcard', 'a.named.test', 'sni_unknown'],
    ['no SNI', undefined, 'sni_missing'],
  ];
  for (const [what, servername, reason] of refusals) {
    for (const maxVersion of ['TLSv1.2', 'TLSv1.3'] as const) {
      it(`refuses ${what} over ${maxVersion} without sending any certificate (counted as ${reason})`, async () => {
        const before = (await handshakeErrors(proxy))[reason]!;
        const relay = await startRecordingRelay(proxy.tlsPort);
        const result = await handshake(relay.port, { maxVersion, ...(servername === undefined ? {} : { servername }) });
        await relay.close();
        assert.equal(result.ok, false);
        assert.ok(!recordTypes(relay.fromServer()).includes(HANDSHAKE), 'no ServerHello, no Certificate');
        assert.equal((await handshakeErrors(proxy))[reason], before + 1);
      });
    }
  }
});

describe('HTTPS proxy listener: versions and ciphers', () => {
  let defaults: TestCertificate;
  let ecdsa: TestCertificate;
  let snapshot: RuntimeSnapshot;
  before(async () => {
    const ca = await createTestCa();
    defaults = await ca.issue({ names: ['default.test'] });
    ecdsa = await ca.issue({ names: ['api.test'] });
    snapshot = { services: [], routes: [], consumers: [], plugins: [], certificates: [material('api', ecdsa)], snis: [sni('api.test', 'api')] };
  });

  /** Old versions need the client's security level lowered to be even offered. */
  const old = { ciphers: 'DEFAULT:@SECLEVEL=0' };
  const versions: [string, object, string | null][] = [
    ['TLS 1.0', { minVersion: 'TLSv1', maxVersion: 'TLSv1', ...old }, null],
    ['TLS 1.1', { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ...old }, null],
    ['TLS 1.2', { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }, 'TLSv1.2'],
    ['TLS 1.3', { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' }, 'TLSv1.3'],
  ];

  it('refuses TLS 1.0 and 1.1 and accepts 1.2 and 1.3, by SNI and by default', async () => {
    const proxy = await startTlsProxy(snapshot, defaults);
    try {
      for (const [name, options, expected] of versions) {
        for (const servername of ['api.test', undefined]) {
          const result = await handshake(proxy.tlsPort, { ...options, ...(servername ? { servername } : {}) });
          assert.equal(result.ok ? result.protocol : null, expected, `${name} with SNI ${servername}`);
        }
      }
      assert.ok((await handshakeErrors(proxy))['protocol_version']! >= 4);
    } finally {
      await proxy.close();
    }
  });

  it('refuses TLS 1.2 when tls_min_version is TLSv1.3', async () => {
    const proxy = await startTlsProxy(snapshot, defaults, { tls_min_version: 'TLSv1.3' });
    try {
      for (const servername of ['api.test', undefined]) {
        assert.equal((await handshake(proxy.tlsPort, { maxVersion: 'TLSv1.2', ...(servername ? { servername } : {}) })).ok, false);
        const modern = await handshake(proxy.tlsPort, { ...(servername ? { servername } : {}) });
        assert.ok(modern.ok && modern.protocol === 'TLSv1.3');
      }
    } finally {
      await proxy.close();
    }
  });

  it('honours a cipher list limited by tls_ciphers, for SNI and default certificates alike', async () => {
    const proxy = await startTlsProxy(snapshot, defaults, { tls_ciphers: 'TLS_AES_256_GCM_SHA384:ECDHE-ECDSA-AES256-GCM-SHA384' });
    try {
      for (const servername of ['api.test', undefined]) {
        const sn = servername ? { servername } : {};
        const tls12 = await handshake(proxy.tlsPort, { ...sn, maxVersion: 'TLSv1.2' });
        assert.ok(tls12.ok && tls12.cipher === 'ECDHE-ECDSA-AES256-GCM-SHA384', JSON.stringify(tls12));
        const tls13 = await handshake(proxy.tlsPort, sn);
        assert.ok(tls13.ok && tls13.cipher === 'TLS_AES_256_GCM_SHA384', JSON.stringify(tls13));
        assert.equal((await handshake(proxy.tlsPort, { ...sn, maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' })).ok, false);
        assert.equal((await handshake(proxy.tlsPort, { ...sn, minVersion: 'TLSv1.3', ciphers: 'TLS_AES_128_GCM_SHA256' })).ok, false);
      }
      assert.ok((await handshakeErrors(proxy))['no_shared_cipher']! >= 4);
    } finally {
      await proxy.close();
    }
  });

  it('picks the cipher in the server’s order, not the client’s', async () => {
    const proxy = await startTlsProxy(snapshot, defaults);
    try {
      const result = await handshake(proxy.tlsPort, {
        servername: 'api.test',
        maxVersion: 'TLSv1.2',
        ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256',
      });
      assert.ok(result.ok && result.cipher === 'ECDHE-ECDSA-AES128-GCM-SHA256', JSON.stringify(result));
    } finally {
      await proxy.close();
    }
  });
});

describe('HTTPS proxy listener: lifecycle', () => {
  it('does not start without a default certificate', async () => {
    await assert.rejects(
      startTlsProxy({ services: [], routes: [], consumers: [], plugins: [] }, undefined as never),
      /proxy_listen_tls is on but no default TLS certificate/,
    );
  });

  it('closes connections still in their handshake when it stops', async () => {
    const defaults = await createSelfSignedTestCertificate({ names: ['default.test'] });
    const proxy = await startTlsProxy({ services: [], routes: [], consumers: [], plugins: [] }, defaults);
    const idle = connectTcp(proxy.tlsPort, '127.0.0.1');
    await new Promise((resolve) => idle.once('connect', resolve));
    const closedByServer = new Promise((resolve) => idle.once('close', resolve));
    await proxy.close();
    await closedByServer;
  });
});
