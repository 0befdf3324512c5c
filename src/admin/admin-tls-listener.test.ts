/**
 * The Admin API over HTTPS (`admin_listen_tls`): the same app as the plain listener, verified
 * with the CA of its certificate, TLS 1.2+ and `tls_ciphers` only, the token and loopback rules
 * of the plain listener, a refused start when it cannot be safe, and a certificate replaced for
 * new connections while the node runs. Real handshakes on loopback.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request, Agent, type RequestOptions } from 'node:https';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Config } from '../config/schema.js';
import { createLogger } from '../observability/logger.js';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { createAdminHarness, type AdminHarness } from '../../test/support/admin-harness.js';
import { createTestCa, createSelfSignedTestCertificate, type TestCa, type TestCertificate } from '../../test/support/certificates.js';

const TOKEN = 'admin-tls-test-token-0123456789-abcdefgh';

interface HttpsAnswer {
  readonly status: number;
  readonly body: any;
  readonly fingerprint: string;
  readonly protocol: string | null;
  readonly cipher: string;
}

/** One HTTPS request to 127.0.0.1:`port` with SNI localhost; `options` adds CA, versions, agent, headers. */
function httpsCall(port: number, options: RequestOptions & { path?: string } = {}): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, servername: 'localhost', path: '/', agent: false, ...options }, (res) => {
      const socket = res.socket as TLSSocket;
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      const seen = { protocol: socket.getProtocol(), cipher: socket.getCipher().name };
      let text = '';
      res.on('data', (chunk: Buffer) => (text += String(chunk)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, fingerprint, ...seen }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A bare TLS handshake with `options`: the negotiated protocol, or the error code. */
function handshake(port: number, options: ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, servername: 'localhost', ...options }, () => {
      resolve(socket.getProtocol() ?? 'none');
      socket.end();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe('Admin API over TLS (admin_listen_tls)', () => {
  let database: TestDatabase;
  let ca: TestCa;
  let served: TestCertificate;
  let nodeDefault: TestCertificate;
  let dir: string;
  const logLines: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    }),
  });
  const open: AdminHarness[] = [];

  /** An admin server over `config` (plain and HTTPS on ephemeral loopback ports), listening. */
  async function start(config: Partial<Config>, defaultCertificate: TestCertificate | undefined = nodeDefault): Promise<AdminHarness> {
    const h = await createAdminHarness(database, {
      config: { admin_listen: '127.0.0.1:0', admin_listen_tls: '127.0.0.1:0', ...config },
      logger,
      ...(defaultCertificate ? { defaultCertificate } : {}),
    });
    open.push(h);
    await h.server.listen();
    return h;
  }
  const tlsPort = (h: AdminHarness) => h.server.tlsAddress()!.port;

  before(async () => {
    database = await createTestDatabase('sqlite');
    ca = await createTestCa({ name: 'admin CA' });
    served = await ca.issue({ names: ['localhost', '127.0.0.1'] });
    nodeDefault = await createSelfSignedTestCertificate({ names: ['localhost'] });
    dir = mkdtempSync(join(tmpdir(), 'portcullis-admin-tls-'));
  });
  after(async () => {
    for (const h of open) await h.close();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
    const logs = logLines.join('');
    for (const key of [served.key, nodeDefault.key]) {
      for (const line of key.split('\n').filter((l) => l.length > 16 && !l.startsWith('---'))) assert.ok(!logs.includes(line), 'a key line in the logs');
    }
  });

  describe('200: the same app over HTTPS', () => {
    it('answers an HTTPS call verified with the CA of admin_tls_cert, beside the plain listener', async () => {
      const h = await start({ admin_tls_cert: served.cert, admin_tls_key: served.key });
      const answer = await httpsCall(tlsPort(h), { ca: [ca.cert] });
      assert.equal(answer.status, 200);
      assert.equal(answer.fingerprint, served.x509.fingerprint256);
      assert.equal(typeof answer.body.version, 'string');
      const plain = await h.app.inject({ method: 'GET', url: '/', headers: { host: 'localhost' } });
      assert.equal(plain.statusCode, 200);
      assert.notEqual(h.server.tlsAddress()!.port, (h.app.server.address() as { port: number }).port);
    });

    it('serves the node default certificate when admin_tls_cert and admin_tls_key are not set', async () => {
      const h = await start({});
      const answer = await httpsCall(tlsPort(h), { ca: [nodeDefault.cert] });
      assert.deepEqual([answer.status, answer.fingerprint], [200, nodeDefault.x509.fingerprint256]);
    });

    it('reads admin_tls_cert and admin_tls_key from files', async () => {
      writeFileSync(join(dir, 'admin.pem'), served.cert);
      writeFileSync(join(dir, 'admin.key'), served.key, { mode: 0o600 });
      const h = await start({ admin_tls_cert: join(dir, 'admin.pem'), admin_tls_key: join(dir, 'admin.key') });
      const answer = await httpsCall(tlsPort(h), { ca: [ca.cert] });
      assert.deepEqual([answer.status, answer.fingerprint], [200, served.x509.fingerprint256]);
    });

    it('binds a non-loopback address when admin_token is set, and requires the token there', async () => {
      const h = await start({ admin_listen_tls: '0.0.0.0:0', admin_token: TOKEN, admin_tls_cert: served.cert, admin_tls_key: served.key });
      assert.equal(h.server.tlsAddress()!.host, '0.0.0.0');
      const refused = await httpsCall(tlsPort(h), { ca: [ca.cert], path: '/consumers' });
      assert.deepEqual([refused.status, refused.body.code], [401, 'PC_ADMIN_UNAUTHORIZED']);
      const allowed = await httpsCall(tlsPort(h), { ca: [ca.cert], path: '/consumers', headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(allowed.status, 200);
    });
  });

  describe('403: the loopback Host guard applies over HTTPS too', () => {
    for (const host of ['evil.example', 'localhost.evil.example', '127.0.0.1.nip.io']) {
      it(`refuses Host ${host} without a token`, async () => {
        const h = await start({});
        const answer = await httpsCall(tlsPort(h), { ca: [nodeDefault.cert], headers: { host } });
        assert.deepEqual([answer.status, answer.body.code], [403, 'PC_ADMIN_HOST_REFUSED']);
      });
    }
  });

  describe('TLS versions and ciphers', () => {
    const versions: [ConnectionOptions, 'TLSv1.2' | 'TLSv1.3', string][] = [
      [{ minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }, 'TLSv1.2', 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION'],
      [{ minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }, 'TLSv1.2', 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION'],
      [{ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }, 'TLSv1.2', 'TLSv1.2'],
      [{ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' }, 'TLSv1.2', 'TLSv1.3'],
      [{ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }, 'TLSv1.3', 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION'],
      [{ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' }, 'TLSv1.3', 'TLSv1.3'],
    ];
    for (const [client, min, expected] of versions) {
      it(`a ${client.maxVersion} client with tls_min_version ${min}: ${expected}`, async () => {
        const h = await start({ tls_min_version: min, admin_tls_cert: served.cert, admin_tls_key: served.key });
        assert.equal(await handshake(tlsPort(h), { ...client, ca: [ca.cert] }), expected);
      });
    }

    it('negotiates only the ciphers of tls_ciphers', async () => {
      const h = await start({ tls_ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384', admin_tls_cert: served.cert, admin_tls_key: served.key });
      const tls12: ConnectionOptions = { maxVersion: 'TLSv1.2', ca: [ca.cert] };
      // OpenSSL 3.5 (Node 24) names the alert SSL/TLS where 3.0 (Node 20) said SSLV3.
      assert.match(await handshake(tlsPort(h), { ...tls12, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }), /^ERR_SSL_(SSLV3|SSL\/TLS)_ALERT_HANDSHAKE_FAILURE$/);
      const answer = await httpsCall(tlsPort(h), { ...tls12, ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384' });
      assert.equal(answer.cipher, 'ECDHE-ECDSA-AES256-GCM-SHA384');
    });
  });

  describe('start refused (ConfigError) before anything listens', () => {
    const cases: [string, () => Partial<Config>, TestCertificate | undefined, RegExp][] = [
      [
        'a non-loopback address without admin_token',
        () => ({ admin_listen_tls: '0.0.0.0:0' }),
        undefined,
        /admin_listen_tls: 0\.0\.0\.0:0 is not a loopback address, so admin_token must be set/,
      ],
      ['admin_tls_cert without admin_tls_key', () => ({ admin_tls_cert: served.cert }), undefined, /admin_tls_cert, admin_tls_key: give both/],
      ['admin_tls_key without admin_tls_cert', () => ({ admin_tls_key: served.key }), undefined, /admin_tls_cert, admin_tls_key: give both/],
      [
        'a certificate file that does not exist',
        () => ({ admin_tls_cert: join(dir, 'absent.pem'), admin_tls_key: served.key }),
        undefined,
        /admin_tls_cert: cannot read \/.*absent\.pem \(ENOENT\)/,
      ],
      [
        'a key of another certificate',
        () => ({ admin_tls_cert: served.cert, admin_tls_key: nodeDefault.key }),
        undefined,
        /the private key does not belong to the certificate/,
      ],
      [
        'a certificate that is not one',
        () => ({ admin_tls_cert: '-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----\n', admin_tls_key: served.key }),
        undefined,
        /the certificate is not a PEM X.509 certificate/,
      ],
      ['a key that is not one', () => ({ admin_tls_cert: served.cert, admin_tls_key: served.cert }), undefined, /the private key is not a PEM private key/],
      ['no configured pair and no default certificate', () => ({}), undefined, /admin_listen_tls: set admin_tls_cert and admin_tls_key/],
    ];
    for (const [name, config, defaultCertificate, message] of cases) {
      it(`for ${name}`, async () => {
        const h = await createAdminHarness(database, {
          config: { admin_listen: '127.0.0.1:0', admin_listen_tls: '127.0.0.1:0', ...config() },
          logger,
          ...(defaultCertificate ? { defaultCertificate } : {}),
        });
        try {
          const err = await h.server.listen().then(
            () => assert.fail('started'),
            (e: Error) => e,
          );
          assert.equal(err.name, 'ConfigError');
          assert.match(err.message, message);
          assert.ok(!err.message.includes('PRIVATE KEY') && !err.message.includes(served.key.split('\n')[1]!), 'no key text in the message');
          assert.equal(h.app.server.listening, false, 'the plain listener did not start either');
          assert.equal(h.server.tlsAddress(), null);
        } finally {
          await h.close();
        }
      });
    }
  });

  describe('setTlsCertificate', () => {
    it('serves the new certificate to new connections while an open one keeps working', async () => {
      const h = await start({ admin_tls_cert: served.cert, admin_tls_key: served.key });
      const replacement = await ca.issue({ names: ['localhost'], keyType: 'rsa' });
      const keptAlive = new Agent({ keepAlive: true, maxSockets: 1, ca: [ca.cert] });
      try {
        const first = await httpsCall(tlsPort(h), { agent: keptAlive });
        assert.equal(first.fingerprint, served.x509.fingerprint256);
        assert.equal(h.server.setTlsCertificate({ cert: replacement.cert, key: replacement.key }), true);
        const onOpenConnection = await httpsCall(tlsPort(h), { agent: keptAlive });
        assert.deepEqual([onOpenConnection.status, onOpenConnection.fingerprint], [200, served.x509.fingerprint256]);
        const fresh = await httpsCall(tlsPort(h), { ca: [ca.cert] });
        assert.deepEqual([fresh.status, fresh.fingerprint], [200, replacement.x509.fingerprint256]);
      } finally {
        keptAlive.destroy();
      }
    });

    it('keeps the current certificate and logs why when the new pair is unusable', async () => {
      const h = await start({ admin_tls_cert: served.cert, admin_tls_key: served.key });
      const before = logLines.length;
      assert.equal(h.server.setTlsCertificate({ cert: served.cert, key: nodeDefault.key }), false);
      assert.equal((await httpsCall(tlsPort(h), { ca: [ca.cert] })).fingerprint, served.x509.fingerprint256);
      const line = JSON.parse(logLines.slice(before).find((l) => l.includes('was not replaced'))!) as Record<string, unknown>;
      assert.deepEqual([line['level'], line['problem']], ['warn', 'the private key does not belong to the certificate']);
    });

    it('answers false without an HTTPS listener', async () => {
      const h = await start({ admin_listen_tls: 'off' });
      assert.equal(h.server.tlsAddress(), null);
      assert.equal(h.server.setTlsCertificate({ cert: served.cert, key: served.key }), false);
    });
  });

  it('close() stops the HTTPS listener too', async () => {
    const h = await createAdminHarness(database, {
      config: { admin_listen: '127.0.0.1:0', admin_listen_tls: '127.0.0.1:0' },
      logger,
      defaultCertificate: nodeDefault,
    });
    await h.server.listen();
    const port = tlsPort(h);
    assert.equal((await httpsCall(port, { ca: [nodeDefault.cert] })).status, 200);
    await h.close();
    assert.equal(await handshake(port, { ca: [nodeDefault.cert] }), 'ECONNREFUSED');
  });
});
