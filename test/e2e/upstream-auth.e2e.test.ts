/**
 * upstream-auth end to end through the real CLI, with literal credentials configured over the
 * Admin API: an upstream that accepts only its own credentials (a header, HTTP Basic, an OAuth2
 * token from the token endpoint fake, an AWS Signature Version 4 checked as AWS would), clients that send their own, and a token revoked while the
 * node runs (401 → new token → the request retried once).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { admin, startCliNode, writeConfig, type CliNode } from './support/cli.js';
import { verifySigV4, type SigV4Expectation } from '../support/sigv4-verifier.js';
import { startTokenEndpoint, type TokenEndpoint } from '../fakes/oauth2-token-endpoint.js';

const API_KEY = 'upstream-api-key-7c1e';
const BASIC_USER = 'gateway';
const BASIC_PASSWORD = 'upstream pässword:42';
const CLIENT_ID = 'portcullis';
const CLIENT_SECRET = 'idp-client-secret-51d0';
const SIGV4: SigV4Expectation = { accessKeyId: 'AKIDEXAMPLE0E2E', secretAccessKey: 'e2e-secret-access-key-3f9a', region: 'eu-west-1', service: 'execute-api' };
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

interface Seen {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

describe('upstream-auth through the real CLI', () => {
  let node: CliNode;
  let idp: TokenEndpoint;
  let upstream: Server;
  let upstreamUrl = '';
  let acceptedKey = API_KEY;
  const seen: Seen[] = [];

  /** Accepts each route's own credential only; answers 200 with what it saw, 401 otherwise. */
  const accepts = (url: string, headers: IncomingHttpHeaders): boolean => {
    if (url.startsWith('/hdr')) return headers['x-api-key'] === acceptedKey;
    if (url.startsWith('/basic')) return headers.authorization === basic(BASIC_USER, BASIC_PASSWORD);
    if (url.startsWith('/oauth')) return idp.isValid(headers.authorization);
    return false;
  };

  before(async () => {
    idp = await startTokenEndpoint({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, allowedScopes: ['orders'] });
    upstream = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', headers: req.headers, body });
        const answer = (ok: boolean) => {
          res.writeHead(ok ? 200 : 401, { 'content-type': 'text/plain' });
          res.end(ok ? `ok:${body}` : 'unauthorized upstream');
        };
        const url = req.url ?? '';
        if (!url.startsWith('/sig')) return answer(accepts(url, req.headers));
        // As AWS would: the signature checked against the request exactly as it arrived.
        void verifySigV4({ method: req.method ?? '', url, headers: req.headers, body: Buffer.from(body, 'utf8') }, SIGV4).then((v) => answer(v.ok));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

    node = await startCliNode(writeConfig());
    const service = async (name: string, config: Record<string, unknown>) => {
      assert.equal((await admin(node, 'POST', '/services', { name, url: `${upstreamUrl}/${name}` })).status, 201);
      assert.equal((await admin(node, 'POST', `/services/${name}/routes`, { name, paths: [`/${name}`] })).status, 201);
      const created = await admin(node, 'POST', `/services/${name}/plugins`, { name: 'upstream-auth', config });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return created.body.id as string;
    };
    await service('hdr', { type: 'header', header_name: 'X-Api-Key', header_value: API_KEY });
    await service('basic', { type: 'basic', username: BASIC_USER, password: BASIC_PASSWORD });
    // aws_sigv4: its signer is loaded when this plugin is built (the bundle keeps @smithy external).
    await service('sig', {
      type: 'aws_sigv4',
      access_key_id: SIGV4.accessKeyId,
      secret_access_key: SIGV4.secretAccessKey,
      region: SIGV4.region,
      service: SIGV4.service,
    });
    await service('oauth', {
      type: 'oauth2_client_credentials',
      token_url: idp.tokenUrl,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      scopes: ['orders'],
    });
  });
  after(async () => {
    await node.stop();
    await idp.close();
    await new Promise((r) => upstream.close(r));
  });

  const call = (path: string, headers: Record<string, string> = {}, body?: string) =>
    fetch(`${node.proxyUrl}${path}`, { method: body === undefined ? 'GET' : 'POST', headers, ...(body === undefined ? {} : { body }) });

  it('sends the configured header instead of the client’s, in every spelling', async () => {
    const variants: Record<string, string>[] = [{}, { 'x-api-key': 'client-key' }, { x_api_key: 'client-key' }];
    for (const headers of variants) {
      const res = await call('/hdr/items', headers);
      assert.equal(res.status, 200, JSON.stringify(headers));
      const last = seen.at(-1)!;
      assert.equal(last.headers['x-api-key'], API_KEY);
      assert.ok(!JSON.stringify(last.headers).includes('client-key'));
    }
  });

  it('sends the configured Basic credentials, never the client’s Authorization', async () => {
    const res = await call('/basic/report', { authorization: basic('mallory', 'guess') }, 'payload');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok:payload');
    assert.equal(seen.at(-1)!.headers.authorization, basic(BASIC_USER, BASIC_PASSWORD));
  });

  it('signs with AWS Signature Version 4 (the signer loaded from node_modules by the bundled CLI)', async () => {
    const res = await call('/sig/items?b=2&a=1', { authorization: 'AWS4-HMAC-SHA256 Credential=client' }, '{"n":1}');
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(await res.text(), 'ok:{"n":1}');
    const last = seen.at(-1)!;
    assert.match(String(last.headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE0E2E\//);
    // A request the upstream sees with another signature is refused by the same check.
    const tampered = await verifySigV4({ method: 'POST', url: last.url, headers: last.headers, body: Buffer.from('{"n":2}') }, SIGV4);
    assert.equal(tampered.ok, false);
  });

  it('fetches one OAuth2 token for many requests and never forwards the client’s Authorization', async () => {
    const before = idp.requests.length;
    const answers = await Promise.all(Array.from({ length: 10 }, () => call('/oauth/orders', { authorization: 'Bearer client-token' })));
    assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]));
    assert.equal(idp.requests.length - before, 1);
    assert.equal(idp.requests.at(-1)!.form['scope'], 'orders');
    const oauthSeen = seen.filter((s) => s.url.startsWith('/oauth'));
    assert.ok(oauthSeen.every((s) => s.headers.authorization === `Bearer ${idp.issued.at(-1)}`));
  });

  it('gets a new token and retries once when the upstream refuses a revoked one', async () => {
    idp.revokeAll();
    const upstreamBefore = seen.length;
    const res = await call('/oauth/orders', {}, '{"qty":1}');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok:{"qty":1}');
    const tries = seen.slice(upstreamBefore);
    assert.equal(tries.length, 2);
    assert.deepEqual(
      tries.map((t) => t.body),
      ['{"qty":1}', '{"qty":1}'],
    );
    assert.equal(tries[1]!.headers.authorization, `Bearer ${idp.issued.at(-1)}`);
  });

  it('answers 502 PC_PROXY_UPSTREAM_AUTH_FAILED while the token endpoint refuses the client', async () => {
    // One renewal per second at most while the upstream refuses the current token: let the last one age.
    await new Promise((r) => setTimeout(r, 1100));
    idp.revokeAll();
    idp.setClientSecret('rotated-at-the-idp');
    try {
      const res = await call('/oauth/orders');
      assert.equal(res.status, 502);
      assert.deepEqual(await res.json(), { code: 'PC_PROXY_UPSTREAM_AUTH_FAILED', message: 'The credentials for the upstream service could not be obtained' });
    } finally {
      idp.setClientSecret(CLIENT_SECRET);
    }
    assert.equal((await call('/oauth/orders')).status, 200);
  });

  it('applies a configuration change made through the Admin API without a restart', async () => {
    const listed = await admin(node, 'GET', '/services/hdr/plugins');
    const id = listed.body.data[0].id as string;
    acceptedKey = 'rotated-api-key';
    const patched = await admin(node, 'PATCH', `/plugins/${id}`, { config: { type: 'header', header_name: 'x-api-key', header_value: 'rotated-api-key' } });
    assert.equal(patched.status, 200);
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await call('/hdr/items')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(status, 200);
    assert.equal(seen.at(-1)!.headers['x-api-key'], 'rotated-api-key');
  });

  it('refuses an incomplete configuration on write, naming what is missing', async () => {
    const res = await admin(node, 'POST', '/services/hdr/plugins', { name: 'upstream-auth', config: { type: 'basic', username: 'u' } });
    assert.equal(res.status, 400);
    assert.equal(res.body.code, 'PC_VALIDATION_FAILED');
    assert.deepEqual(res.body.fields, [{ path: 'config', message: 'type basic needs password' }]);
  });

  it('never logs a credential', () => {
    const logs = node.logs.join('\n');
    for (const secret of [API_KEY, BASIC_PASSWORD, CLIENT_SECRET, ...idp.issued]) assert.ok(!logs.includes(secret), 'a credential reached the log');
  });
});
