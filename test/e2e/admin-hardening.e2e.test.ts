/**
 * The Admin API's hardening through the real CLI: `config check` refuses a short or blank
 * admin_token and says why; a token-less node answers only loopback Host values over a real
 * socket (a DNS-rebinding page's Host is refused), refuses cross-site writes and unlisted CORS
 * preflights, and answers a deeply nested body with 400.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { admin, runCli, startCliNode, writeConfig, type CliNode } from './support/cli.js';
import { createTestCa } from '../support/certificates.js';

/** A raw HTTP/1.1 request with a forged Host: the status and the body. */
function rawRequest(port: number, lines: string, body = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${lines}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`));
    let raw = '';
    socket.on('data', (d) => (raw += String(d)));
    socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0), body: raw.slice(raw.indexOf('\r\n\r\n') + 4) }));
    socket.on('error', reject);
  });
}

describe('portcullis config check and admin_token', () => {
  const refused: [string, string, RegExp][] = [
    ['a 5-character token', 'short', /admin_token: must not have fewer than 32 characters/],
    ['a 31-character token', 'x'.repeat(31), /admin_token: must not have fewer than 32 characters/],
    ['a blank token of 40 spaces', ' '.repeat(40), /admin_token: must not be blank/],
    ['a blank token of tabs and spaces', '\t \t '.repeat(10), /admin_token: must not be blank/],
  ];
  for (const [name, token, why] of refused) {
    it(`exits non-zero for ${name} in the config file, saying why`, async () => {
      const result = await runCli(['config', 'check', '--config', writeConfig({ admin_token: token })]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, why);
      assert.ok(token.trim() === '' || !result.stderr.includes(token), 'the token is not echoed');
    });
  }

  it('exits non-zero for a short or blank PORTCULLIS_ADMIN_TOKEN, saying why', async () => {
    const short = await runCli(['config', 'check', '--config', writeConfig()], { PORTCULLIS_ADMIN_TOKEN: 'x'.repeat(20) });
    assert.equal(short.code, 1);
    assert.match(short.stderr, /admin_token: must not have fewer than 32 characters \(from PORTCULLIS_ADMIN_TOKEN\)/);
    const blank = await runCli(['config', 'check', '--config', writeConfig()], { PORTCULLIS_ADMIN_TOKEN: ' '.repeat(32) });
    assert.equal(blank.code, 1);
    assert.match(blank.stderr, /admin_token: must not be blank/);
  });

  it('accepts a token of 32 characters and prints it redacted', async () => {
    const token = 'a-token-of-exactly-32-characters';
    assert.equal(token.length, 32);
    const result = await runCli(['config', 'check', '--config', writeConfig({ admin_token: token })]);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(!result.stdout.includes(token));
  });

  it('prints admin_tls_key redacted when the file holds the PEM itself', async () => {
    const pair = await (await createTestCa()).issue({ names: ['localhost'] });
    const result = await runCli([
      'config',
      'check',
      '--config',
      writeConfig({ admin_listen_tls: '127.0.0.1:0', admin_tls_cert: pair.cert, admin_tls_key: pair.key }),
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /"admin_tls_key": "\[redacted\]"/);
    for (const line of pair.key.split('\n').filter((l) => l.length > 16 && !l.startsWith('-----')))
      assert.ok(!result.stdout.includes(line), 'a key line was printed');
  });
});

describe('a token-less node over real sockets', () => {
  let node: CliNode;
  let port: number;

  before(async () => {
    node = await startCliNode(writeConfig({ admin_cors_origins: ['https://ui.example.com'] }));
    port = Number(new URL(node.adminUrl).port);
  });
  after(async () => {
    await node.stop();
  });

  it('answers loopback Host values and refuses others with 403 PC_ADMIN_HOST_REFUSED', async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `api.localhost:${port}`]) {
      assert.equal((await rawRequest(port, `GET /services HTTP/1.1\r\nHost: ${host}`)).status, 200, host);
    }
    for (const host of ['evil.com', `evil.com:${port}`, `localhost.evil.com:${port}`, `127.0.0.1.nip.io:${port}`]) {
      const res = await rawRequest(port, `POST /consumers HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json`, '{"username":"rebound"}');
      assert.equal(res.status, 403, host);
      assert.equal(JSON.parse(res.body).code, 'PC_ADMIN_HOST_REFUSED');
    }
    assert.equal((await admin(node, 'GET', '/consumers/rebound')).status, 404);
    assert.equal((await rawRequest(port, `GET /status/ready HTTP/1.1\r\nHost: lb.internal:${port}`)).status, 200, 'the readiness probe stays open');
  });

  it('refuses a cross-site write and an unlisted preflight, and answers a listed one', async () => {
    const host = `Host: localhost:${port}`;
    const write = await rawRequest(
      port,
      `POST /consumers HTTP/1.1\r\n${host}\r\nOrigin: http://evil.com\r\nContent-Type: application/json`,
      '{"username":"csrf"}',
    );
    assert.equal(write.status, 403);
    assert.equal(JSON.parse(write.body).code, 'PC_ADMIN_CROSS_SITE_REFUSED');
    const unlisted = await rawRequest(port, `OPTIONS /consumers HTTP/1.1\r\n${host}\r\nOrigin: http://evil.com\r\nAccess-Control-Request-Method: POST`);
    assert.equal(unlisted.status, 403);
    const listed = await rawRequest(port, `OPTIONS /consumers HTTP/1.1\r\n${host}\r\nOrigin: https://ui.example.com\r\nAccess-Control-Request-Method: POST`);
    assert.equal(listed.status, 204);
  });

  it('answers a body nested half a million levels with 400 and keeps serving', async () => {
    const res = await fetch(`${node.adminUrl}/plugins`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '['.repeat(500_000) + ']'.repeat(500_000),
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { code: string }).code, 'PC_VALIDATION_FAILED');
    assert.equal((await admin(node, 'GET', '/status')).status, 200);
  });
});
