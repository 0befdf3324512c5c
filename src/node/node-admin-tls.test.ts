/**
 * A node with `admin_listen_tls`: its HTTPS Admin API address is in RunningNode, answers over TLS
 * with the configured certificate, and a node whose HTTPS Admin API would be reachable from other
 * machines without `admin_token` does not start.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { startTestNode } from '../../test/support/running-node.js';
import { createTestCa, type TestCa, type TestCertificate } from '../../test/support/certificates.js';

describe('a node with admin_listen_tls', () => {
  let ca: TestCa;
  let pair: TestCertificate;
  before(async () => {
    ca = await createTestCa();
    pair = await ca.issue({ names: ['localhost'] });
  });

  it('exposes adminTlsAddress and answers /status/ready over HTTPS with admin_tls_cert', async () => {
    const t = await startTestNode('sqlite', { config: { admin_listen_tls: '127.0.0.1:0', admin_tls_cert: pair.cert, admin_tls_key: pair.key } });
    try {
      const address = t.node.adminTlsAddress;
      assert.ok(address !== null && address.port > 0 && address.port !== t.node.adminAddress.port);
      const answer = await new Promise<{ status: number; fingerprint: string }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: address.port, servername: 'localhost', path: '/status/ready', ca: [ca.cert], agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, fingerprint: (res.socket as TLSSocket).getPeerCertificate().fingerprint256 }));
        });
        req.on('error', reject);
        req.end();
      });
      assert.deepEqual(answer, { status: 200, fingerprint: pair.x509.fingerprint256 });
    } finally {
      await t.close();
    }
  });

  it('has adminTlsAddress null when admin_listen_tls is off', async () => {
    const t = await startTestNode('sqlite', { config: { admin_listen_tls: 'off' } });
    try {
      assert.equal(t.node.adminTlsAddress, null);
    } finally {
      await t.close();
    }
  });

  it('refuses to start with a non-loopback admin_listen_tls and no admin_token', async () => {
    await assert.rejects(startTestNode('sqlite', { config: { admin_listen_tls: '0.0.0.0:0', admin_tls_cert: pair.cert, admin_tls_key: pair.key } }), {
      name: 'ConfigError',
      message: /admin_listen_tls: 0\.0\.0\.0:0 is not a loopback address, so admin_token must be set/,
    });
  });
});
