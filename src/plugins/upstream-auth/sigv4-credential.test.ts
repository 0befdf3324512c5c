import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request } from 'node:http';
import { send } from '../../proxy/testing/harness.js';
import { startAuthProxy, type AuthProxy } from './testing/auth-proxy.js';
import { verifySigV4, type SigV4Expectation } from '../../../test/support/sigv4-verifier.js';

const KEYS = { accessKeyId: 'AKIDEXAMPLE0001', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SCOPE = { region: 'eu-west-1', service: 'execute-api' };
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
const ok = () => ({ status: 200, body: 'ok' });

function sigv4Config(overrides: Record<string, unknown> = {}) {
  return { type: 'aws_sigv4', access_key_id: KEYS.accessKeyId, secret_access_key: KEYS.secretAccessKey, ...SCOPE, ...overrides };
}

/** Sends a chunked body of `parts` (no Content-Length), for requests the proxy cannot buffer. */
function sendChunked(port: number, path: string, parts: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers: { 'transfer-encoding': 'chunked' }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    for (const part of parts) req.write(part);
    req.end();
  });
}

describe('upstream-auth type aws_sigv4', () => {
  let proxy: AuthProxy;
  const expectation: SigV4Expectation = { ...KEYS, ...SCOPE };
  const lastVerdict = (expected = expectation) => verifySigV4(proxy.received.at(-1)!, expected);
  afterEach(() => proxy.close());

  it('signs what is sent: method, host with port, the service path, an encoded path and query, and the body’s SHA-256', async () => {
    proxy = await startAuthProxy(sigv4Config(), ok, { service: { path: '/prod' } });
    const cases: [string, string, string | undefined][] = [
      ['GET', '/items', undefined],
      ['GET', '/items/a%20b/%C3%A9?z=1&a=2&a=1&empty=&flag&sp=a%20b&plus=a+b&slash=c%2Fd', undefined],
      ['POST', '/items', '{"name":"widget","price":3}'],
      ['PUT', '/items/7', ''],
    ];
    for (const [method, path, body] of cases) {
      const res = await send(proxy.port, path, { method, ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }) });
      assert.equal(res.status, 200, path);
      const received = proxy.received.at(-1)!;
      assert.ok(received.url.startsWith('/prod/items'), received.url);
      const verdict = await lastVerdict();
      assert.deepEqual(verdict.ok ? 'ok' : verdict.reason, 'ok', `${method} ${path}`);
      assert.ok(verdict.ok && verdict.signedHeaders.includes('host'));
      assert.equal(received.headers['x-amz-content-sha256'], body ? createHash('sha256').update(body).digest('hex') : EMPTY_SHA256);
      assert.equal(received.body.toString(), body ?? '');
    }
  });

  it('fails verification with another secret key (the check can fail)', async () => {
    proxy = await startAuthProxy(sigv4Config(), ok);
    await send(proxy.port, '/x');
    const verdict = await lastVerdict({ ...expectation, secretAccessKey: 'another-secret-key' });
    assert.deepEqual(verdict, { ok: false, reason: 'signature does not match' });
  });

  it('sends the session token exactly when one is configured, never the client’s', async () => {
    const cases: [Record<string, unknown>, string | undefined][] = [
      [{ session_token: 'FwoGZXIvYXdzEXAMPLE//token==' }, 'FwoGZXIvYXdzEXAMPLE//token=='],
      [{}, undefined],
    ];
    for (const [extra, token] of cases) {
      proxy = await startAuthProxy(sigv4Config(extra), ok);
      await send(proxy.port, '/x', { headers: { 'x-amz-security-token': 'client-token' } });
      assert.equal(proxy.received.at(-1)!.headers['x-amz-security-token'], token);
      const verdict = await lastVerdict({ ...expectation, ...(token ? { sessionToken: token } : {}) });
      assert.equal(verdict.ok ? 'ok' : verdict.reason, 'ok');
      await proxy.close();
    }
    proxy = await startAuthProxy(sigv4Config(), ok);
  });

  it('replaces the client’s own signature headers and signs its x-amz-* headers too', async () => {
    proxy = await startAuthProxy(sigv4Config(), ok);
    await send(proxy.port, '/x', {
      headers: {
        authorization: 'AWS4-HMAC-SHA256 Credential=CLIENT/20200101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00',
        'x-amz-date': '20200101T000000Z',
        'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
        'x-amz-target': 'Service.Operation',
      },
    });
    const received = proxy.received.at(-1)!;
    assert.ok(!String(received.headers.authorization).includes('CLIENT'));
    assert.notEqual(received.headers['x-amz-date'], '20200101T000000Z');
    assert.equal(received.headers['x-amz-content-sha256'], EMPTY_SHA256);
    const verdict = await lastVerdict();
    assert.ok(verdict.ok && verdict.signedHeaders.includes('x-amz-target'));
  });

  it('signs a streamed body as UNSIGNED-PAYLOAD: a chunked one, and one longer than max_buffered_body_size', async () => {
    proxy = await startAuthProxy(sigv4Config({ max_buffered_body_size: 16 }), ok);
    assert.equal(await sendChunked(proxy.port, '/upload', ['part one;', 'part two']), 200);
    assert.equal(proxy.received.at(-1)!.body.toString(), 'part one;part two');
    assert.equal(proxy.received.at(-1)!.headers['x-amz-content-sha256'], 'UNSIGNED-PAYLOAD');
    assert.equal((await lastVerdict()).ok, true);

    const long = 'x'.repeat(17);
    await send(proxy.port, '/upload', { method: 'POST', body: long });
    assert.equal(proxy.received.at(-1)!.body.toString(), long);
    assert.equal(proxy.received.at(-1)!.headers['x-amz-content-sha256'], 'UNSIGNED-PAYLOAD');
    assert.equal((await lastVerdict()).ok, true);

    await send(proxy.port, '/upload', { method: 'POST', body: 'x'.repeat(16) });
    assert.equal(proxy.received.at(-1)!.headers['x-amz-content-sha256'], createHash('sha256').update('x'.repeat(16)).digest('hex'));
  });

  it('signs an S3 path as sent, without encoding it again', async () => {
    proxy = await startAuthProxy(sigv4Config({ service: 's3' }), ok);
    await send(proxy.port, '/bucket/my%20key.txt');
    const verdict = await lastVerdict({ ...expectation, service: 's3' });
    assert.equal(verdict.ok ? 'ok' : verdict.reason, 'ok');
  });
});
