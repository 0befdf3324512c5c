/**
 * TLS through the real CLI (`bin/portcullis.js start`), configured the way an operator would: the
 * default certificate and the Admin API's certificate given as `{vault://env/…}` references in the
 * config file, resolved from the process environment; a certificate added through the Admin API
 * over HTTPS (with the token) and served by SNI at once; nothing of a key in the logs or in
 * `config check`.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect } from 'node:tls';
import { request as httpsRequest } from 'node:https';
import { runCli, startCliNode, writeConfig, type CliNode } from './support/cli.js';
import { createTestCa, type TestCa, type TestCertificate } from '../support/certificates.js';

const ADMIN_TOKEN = 'e2e-admin-token-for-tls-0123456789abcdef';

function split(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace('0.0.0.0', '127.0.0.1'), port: Number(address.slice(i + 1)) };
}

function servedFingerprint(address: string, servername?: string): Promise<string | null> {
  const { host, port } = split(address);
  return new Promise((resolve) => {
    const socket = tlsConnect({ host, port, ...(servername ? { servername } : {}), rejectUnauthorized: false });
    socket.once('secureConnect', () => {
      resolve(socket.getPeerCertificate().fingerprint256 ?? null);
      socket.destroy();
    });
    socket.once('error', () => resolve(null));
  });
}

function adminOverTls(address: string, ca: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const { host, port } = split(address);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host,
        port,
        method,
        path,
        ca,
        servername: 'localhost',
        headers: { host: 'localhost', authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
      },
    );
    req.once('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

describe('TLS through the real CLI', () => {
  let ca: TestCa;
  let defaultPair: TestCertificate;
  let adminPair: TestCertificate;
  let node: CliNode;
  let configFile: string;
  let env: Record<string, string>;

  before(async () => {
    ca = await createTestCa();
    [defaultPair, adminPair] = await Promise.all([ca.issue({ names: ['default.example.org'] }), ca.issue({ names: ['localhost'] })]);
    env = { DEFAULT_TLS_CERT: defaultPair.cert, DEFAULT_TLS_KEY: defaultPair.key, ADMIN_TLS_CERT: adminPair.cert, ADMIN_TLS_KEY: adminPair.key };
    configFile = writeConfig({
      admin_token: '{vault://env/admin-token}',
      tls_default_cert: '{vault://env/default-tls-cert}',
      tls_default_key: '{vault://env/default-tls-key}',
      admin_listen_tls: '127.0.0.1:0',
      admin_tls_cert: '{vault://env/admin-tls-cert}',
      admin_tls_key: '{vault://env/admin-tls-key}',
    });
    node = await startCliNode(configFile, { ...env, ADMIN_TOKEN });
  });
  after(async () => {
    await node?.stop();
  });

  it('serves the default certificate from a vault reference to clients without a matching SNI', async () => {
    assert.ok(node.proxyTls, 'the started line names the HTTPS proxy listener');
    assert.equal(await servedFingerprint(node.proxyTls!), defaultPair.x509.fingerprint256);
    assert.equal(await servedFingerprint(node.proxyTls!, 'nothing.example.org'), defaultPair.x509.fingerprint256);
  });

  it('takes a certificate through the Admin API over HTTPS and serves it by SNI at once', async () => {
    assert.ok(node.adminTls, 'the started line names the HTTPS Admin API listener');
    const status = await adminOverTls(node.adminTls!, ca.cert, 'GET', '/status');
    assert.equal(status.status, 200);
    const api = await ca.issue({ names: ['api.example.org'] });
    const created = await adminOverTls(node.adminTls!, ca.cert, 'POST', '/certificates', { cert: api.cert, key: api.key, snis: ['api.example.org'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.key, null);
    assert.deepEqual(created.body.snis, ['api.example.org']);
    assert.equal(created.body.fingerprint_sha256, api.x509.fingerprint256.replaceAll(':', '').toLowerCase());
    assert.equal(await servedFingerprint(node.proxyTls!, 'api.example.org'), api.x509.fingerprint256);
  });

  it('keeps every private key out of the logs and out of config check', async () => {
    const check = await runCli(['config', 'check', '--config', configFile], { ...env, ADMIN_TOKEN });
    assert.equal(check.code, 0, check.stderr);
    for (const pair of [defaultPair, adminPair]) {
      const keyLine = pair.key.split('\n')[1]!;
      assert.ok(!check.stdout.includes(keyLine) && !check.stderr.includes(keyLine), 'config check shows no key');
      assert.ok(!node.logs.join('\n').includes(keyLine), 'no key in the logs');
    }
  });
});
