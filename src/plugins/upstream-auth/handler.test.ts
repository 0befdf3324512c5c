import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { send } from '../../proxy/testing/harness.js';
import { startAuthProxy, type AuthProxy } from './testing/auth-proxy.js';
import { createUpstreamAuth } from './handler.js';
import type { UpstreamAuthConfig } from './schema.js';

const ok = () => ({ status: 200, body: 'ok' });
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

describe('upstream-auth type header', () => {
  let proxy: AuthProxy;
  afterEach(() => proxy.close());

  it('sends the configured header and value, replacing the client’s copies in any case and `_` spelling', async () => {
    proxy = await startAuthProxy({ type: 'header', header_name: 'X-Api-Key', header_value: 'upstream-key-1' }, ok);
    const variants: Record<string, string>[] = [
      {},
      { 'x-api-key': 'client-key' },
      { 'X-API-KEY': 'client-key' },
      { x_api_key: 'client-key', X_Api_Key: 'other' },
    ];
    for (const headers of variants) {
      const res = await send(proxy.port, '/items', { headers });
      assert.equal(res.status, 200, JSON.stringify(headers));
      const seen = proxy.received.at(-1)!.headers;
      assert.equal(seen['x-api-key'], 'upstream-key-1');
      assert.equal(seen['x_api_key'], undefined);
      assert.ok(!JSON.stringify(seen).includes('client-key'));
    }
  });

  it('sends a value with an embedded credential as configured (`Bearer …`) in the Authorization header, instead of the client’s', async () => {
    proxy = await startAuthProxy({ type: 'header', header_name: 'authorization', header_value: 'Bearer up-token' }, ok);
    await send(proxy.port, '/x', { headers: { authorization: 'Bearer client-token' } });
    assert.equal(proxy.received.at(-1)!.headers.authorization, 'Bearer up-token');
  });

  it('leaves the rest of the request as it came: method, path, query, body and other headers', async () => {
    proxy = await startAuthProxy({ type: 'header', header_name: 'x-api-key', header_value: 'k' }, ok);
    await send(proxy.port, '/a/b?c=1&d=%20', { method: 'PUT', headers: { 'x-other': 'kept', 'content-type': 'text/plain' }, body: 'payload' });
    const seen = proxy.received.at(-1)!;
    assert.equal(seen.method, 'PUT');
    assert.equal(seen.url, '/a/b?c=1&d=%20');
    assert.equal(seen.body.toString(), 'payload');
    assert.equal(seen.headers['x-other'], 'kept');
  });
});

describe('upstream-auth type basic', () => {
  let proxy: AuthProxy;
  afterEach(() => proxy.close());

  it('sends RFC 7617 Basic credentials in UTF-8 instead of the client’s Authorization', async () => {
    proxy = await startAuthProxy({ type: 'basic', username: 'zoë', password: 'pä:ss word' }, ok);
    const variants: Record<string, string>[] = [{}, { authorization: basic('mallory', 'guess') }, { authorization: 'Bearer client' }];
    for (const headers of variants) {
      await send(proxy.port, '/x', { headers });
      assert.equal(proxy.received.at(-1)!.headers.authorization, basic('zoë', 'pä:ss word'));
    }
  });
});

describe('upstream-auth creation', () => {
  const deps = { logger: pino({ level: 'silent' }) };
  const base = { retry_on_status: [401], max_buffered_body_size: 1024 };

  it('refuses resolved values that cannot be sent, naming the field and never the value', () => {
    const cases: [Partial<UpstreamAuthConfig>, RegExp][] = [
      [{ type: 'header', header_name: 'x-k', header_value: 'line\nbreak-SECRET' }, /header_value holds a character/],
      [{ type: 'basic', username: 'a:b', password: 'p-SECRET' }, /username holds a colon/],
      [{ type: 'basic', username: 'a', password: 'p\r\n-SECRET' }, /password holds a control character/],
      [{ type: 'oauth2_client_credentials', token_url: 'http://127.0.0.1:1/t', client_id: 'c', client_secret: 's\n-SECRET' }, /client_secret holds/],
      [
        { type: 'aws_sigv4', access_key_id: 'AKID', secret_access_key: 'k\u0000-SECRET', region: 'us-east-1', service: 'execute-api' },
        /secret_access_key holds/,
      ],
    ];
    for (const [config, message] of cases) {
      assert.throws(
        () => createUpstreamAuth({ ...base, ...config } as UpstreamAuthConfig, deps),
        (err: Error) => message.test(err.message) && !err.message.includes('SECRET'),
      );
    }
  });

  it('buffers bodies only where a retry or a signature needs them', () => {
    const secrets = { references: new Map([['password', '{vault://env/pw}']]), refetch: async () => new Map() };
    const header = { ...base, type: 'header', header_name: 'x-k', header_value: 'v' } as UpstreamAuthConfig;
    const sigv4 = { ...base, type: 'aws_sigv4', access_key_id: 'A', secret_access_key: 'S', region: 'r', service: 's' } as UpstreamAuthConfig;
    const oauth2 = { ...base, type: 'oauth2_client_credentials', token_url: 'http://127.0.0.1:1/t', client_id: 'c', client_secret: 's' } as UpstreamAuthConfig;
    const cases: [string, UpstreamAuthConfig, typeof deps & { secrets?: typeof secrets }, number, boolean][] = [
      ['literal header: nothing to renew', header, deps, 0, false],
      ['header from a reference', header, { ...deps, secrets }, 1024, true],
      ['header from a reference, retry off', { ...header, retry_on_status: [] }, { ...deps, secrets }, 0, false],
      ['literal sigv4: signs bodies', sigv4, deps, 1024, false],
      ['literal oauth2: a token to drop', oauth2, deps, 1024, true],
    ];
    for (const [name, config, d, buffers, retries] of cases) {
      const instance = createUpstreamAuth(config, d);
      assert.equal(instance.buffersBodyUpTo, buffers, name);
      assert.equal(typeof instance.retryUpstream === 'function', retries, name);
      assert.equal(instance.access, undefined, name);
      instance.close?.();
    }
  });
});
