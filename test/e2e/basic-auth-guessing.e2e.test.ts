/**
 * Password guessing against basic-auth, end to end through the real CLI: requests from several
 * loopback addresses (127.0.0.1, .2, .3 … all reach a listener on 127.0.0.1 on Linux) over real
 * sockets, lockouts answered 429 with Retry-After, and the counters on /metrics.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { admin, startCliNode, writeConfig, type CliNode } from './support/cli.js';
import { startEchoUpstream, type EchoUpstream } from './support/upstream.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

interface Answer {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly body: string;
}

describe('basic-auth password guessing through the real CLI', () => {
  let node: CliNode;
  let upstream: EchoUpstream;

  before(async () => {
    upstream = await startEchoUpstream();
    node = await startCliNode(writeConfig({ basic_auth: { lockout_base: 60, pair_max_failures: 3, address_max_failures: 6 } }));
    await admin(node, 'POST', '/services', { name: 'vault', url: upstream.url });
    await admin(node, 'POST', '/services/vault/routes', { name: 'vault', paths: ['/vault'] });
    await admin(node, 'POST', '/consumers', { username: 'dana' });
    assert.equal((await admin(node, 'POST', '/consumers/dana/basic-auth', { username: 'dana', password: 'dana-password' })).status, 201);
    await admin(node, 'POST', '/routes/vault/plugins', { name: 'basic-auth' });
  });
  after(async () => {
    await node.stop();
    await upstream.close();
  });

  /** One request to the proxy from the given loopback address. */
  const call = (from: string, authorization: string) =>
    new Promise<Answer>((resolve, reject) => {
      const url = new URL(`${node.proxyUrl}/vault`);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, localAddress: from, headers: { authorization } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body }));
      });
      req.on('error', reject);
      req.end();
    });

  it('answers 429 with Retry-After once one address guessed one password too often, even for the right password', async () => {
    for (let i = 0; i < 3; i += 1) assert.equal((await call('127.0.0.1', basic('dana', `guess-${i}`))).status, 401, `guess ${i}`);
    const locked = await call('127.0.0.1', basic('dana', 'dana-password'));
    assert.equal(locked.status, 429);
    assert.deepEqual(JSON.parse(locked.body), { code: 'PC_AUTH_TOO_MANY_ATTEMPTS', message: 'Too many failed attempts; retry later' });
    const seconds = Number(locked.retryAfter);
    assert.ok(Number.isInteger(seconds) && seconds >= 1 && seconds <= 60, `Retry-After: ${locked.retryAfter}`);
    assert.equal((await call('127.0.0.1', basic('dana', 'another-guess'))).status, 429, 'guessing stays refused');
  });

  it('still lets the right password in from another address while one address is locked out', async () => {
    assert.equal((await call('127.0.0.2', basic('dana', 'dana-password'))).status, 200);
    assert.equal((await call('127.0.0.2', basic('dana', 'wrong'))).status, 401, 'a failure from there is a plain 401');
  });

  it('locks an address that sprays usernames, for every username, and only that address', async () => {
    for (let i = 0; i < 6; i += 1) assert.equal((await call('127.0.0.3', basic(`user-${i}`, 'Summer2026!'))).status, 401);
    const locked = await call('127.0.0.3', basic('dana', 'dana-password'));
    assert.equal(locked.status, 429);
    assert.ok(Number(locked.retryAfter) >= 1);
    assert.equal((await call('127.0.0.4', basic('dana', 'dana-password'))).status, 200);
  });

  it('counts failures by reason and refusals by scope on /metrics, without usernames or addresses', async () => {
    const text = await (await fetch(`${node.adminUrl}/metrics`)).text();
    const lines = text.split('\n').filter((line) => line.startsWith('portcullis_basic_auth_'));
    const value = (name: string) => Number(lines.find((line) => line.startsWith(name))?.split(' ')[1]);
    assert.equal(value('portcullis_basic_auth_failures_total{reason="wrong_password"}'), 4);
    assert.equal(value('portcullis_basic_auth_failures_total{reason="unknown_username"}'), 6);
    assert.equal(value('portcullis_basic_auth_throttled_total{scope="pair"}'), 2);
    assert.equal(value('portcullis_basic_auth_throttled_total{scope="address"}'), 1);
    assert.equal(value('portcullis_basic_auth_throttled_total{scope="username"}'), 0);
    assert.doesNotMatch(lines.join('\n'), /dana|user-|127\.0\.0/);
  });
});
