/**
 * Body inspection through a real listener, with a test plugin that removes the field `secret`:
 * which bodies are buffered and trimmed, which stream untouched, which are refused, and that a
 * multipart part named `secret` never reaches the upstream.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import Type from 'typebox';
import { BUILTIN_PLUGINS } from '../plugins/registry.js';
import type { PluginDefinition } from '../plugins/plugin.js';
import { CONTINUE } from '../plugins/plugin.js';
import { createEntityFactory } from './testing/entities.js';
import { echoRequest, send, startProxy, startUpstream, type Echo, type TestProxy, type Upstream } from './testing/harness.js';

const make = createEntityFactory();

/** Removes body fields named `secret` and shows the upstream what it saw. */
const stripSecret: PluginDefinition = {
  name: 'strip-secret',
  priority: 10,
  configSchema: Type.Object({}),
  create: () => ({
    readsBody: true,
    access(ctx) {
      ctx.upstreamHeaders['x-test-body'] = ctx.body === null ? 'none' : `${ctx.body.type}:${JSON.stringify([...ctx.body.fields])}`;
      ctx.body?.remove((name) => name === 'secret');
      return CONTINUE;
    },
  }),
};

describe('request bodies on a route whose plugins remove body fields', () => {
  let upstream: Upstream;
  let proxy: TestProxy;
  const received: string[] = [];

  before(async () => {
    upstream = await startUpstream((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('aborted', () => received.push(`aborted:${Buffer.concat(chunks).toString('latin1')}`));
      req.on('end', () => received.push(Buffer.concat(chunks).toString('latin1')));
      echoRequest(req, res);
    });
    const svc = make.service({ port: upstream.port });
    proxy = await startProxy(
      {
        services: [svc],
        routes: [make.route({ paths: ['/'], service: { id: svc.id } })],
        consumers: [],
        plugins: [make.plugin({ name: 'strip-secret', config: {} })],
      },
      { max_request_body_size: 64 * 1024 },
      [...BUILTIN_PLUGINS, stripSecret],
    );
  });
  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  const post = (type: string, body: string, headers: Record<string, string> = {}) =>
    send(proxy.port, '/x', { method: 'POST', headers: { 'content-type': type, ...headers }, body });

  it('buffers form and JSON bodies, gives their fields, and sends them without the removed field', async () => {
    const cases: [string, string, string, string][] = [
      ['application/x-www-form-urlencoded', 'secret=s&a=%20&secret=t', 'a=%20', 'form:[["secret",["s","t"]],["a",[" "]]]'],
      ['application/json', '{"secret":"s","a":1e400,"secret":2}', '{"a":1e400}', 'json:[["secret",["s",null]],["a",[null]]]'],
      ['application/problem+json; charset=utf-8', '{"a":"é"}', '{"a":"é"}', 'json:[["a",["é"]]]'],
    ];
    for (const [type, body, sent, seen] of cases) {
      const res = await post(type, body);
      assert.equal(res.status, 200, body);
      const echo = res.json<Echo>();
      assert.equal(echo.body, sent);
      assert.equal(echo.headers['content-length'], String(Buffer.byteLength(sent)));
      assert.equal(echo.headers['x-test-body'], seen);
    }
  });

  it('streams bodies of other types untouched and uninspected', async () => {
    for (const type of ['text/plain', 'application/octet-stream', 'application/xml']) {
      const echo = (await post(type, 'secret=s')).json<Echo>();
      assert.equal(echo.body, 'secret=s', type);
      assert.equal(echo.headers['x-test-body'], 'none');
    }
  });

  it('refuses a JSON body that does not parse with 400, and a compressed form or JSON body with 415', async () => {
    for (const body of ['{"secret":"s",}', '{"secret":"s","n":NaN}', '{"a":1}{"secret":"s"}']) {
      const res = await post('application/json', body);
      assert.equal(res.status, 400, body);
      assert.equal(res.json()['code'], 'PC_BAD_REQUEST');
    }
    for (const type of ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=b']) {
      const res = await post(type, 'x', { 'content-encoding': 'gzip' });
      assert.equal(res.status, 415, type);
      assert.equal(res.json()['code'], 'PC_UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('keeps the body limit: 413 for a buffered body over it, declared or chunked', async () => {
    const big = `a=${'x'.repeat(70 * 1024)}`;
    assert.equal((await post('application/x-www-form-urlencoded', big)).status, 413);
    const chunked = await rawExchange(proxy.port, chunkedRequest('application/x-www-form-urlencoded', [big.slice(0, 40_000), big.slice(40_000)]));
    assert.match(chunked, /^HTTP\/1\.1 413 /);
  });

  it('streams a clean multipart body as it came, with its Content-Length', async () => {
    const body = multipart([
      ['name="a"', 'one'],
      ['name="file"; filename="secret.txt"', 'secret=s'],
    ]);
    const res = await post('multipart/form-data; boundary=BOUNDARY', body);
    assert.equal(res.status, 200, res.text);
    const echo = res.json<Echo>();
    assert.equal(echo.body, body);
    assert.equal(echo.headers['content-length'], String(body.length));
    assert.equal(echo.headers['x-test-body'], 'multipart:[]');
  });

  it('refuses a multipart body with a removed part (400), and the upstream never receives that part', async () => {
    const variants = [
      multipart([['name="secret"', 'the-value']]),
      multipart([
        ['name="a"', 'x'.repeat(20_000)],
        ['name=secret', 'the-value'],
      ]),
      multipart([['name="a"', 'one']]) + multipart([['name="se%63ret"', 'the-value']]),
    ];
    for (const body of variants) {
      received.length = 0;
      const fixed = await post('multipart/form-data; boundary=BOUNDARY', body);
      const chunked = await rawExchange(proxy.port, chunkedRequest('multipart/form-data; boundary=BOUNDARY', [body.slice(0, 9000), body.slice(9000)]));
      assert.equal(fixed.status, 400);
      assert.equal(fixed.json()['code'], 'PC_BAD_REQUEST');
      assert.match(chunked, /^HTTP\/1\.1 400 /);
      await new Promise((r) => setTimeout(r, 50));
      for (const seen of received) assert.ok(!seen.includes('the-value'), `the upstream saw: ${seen.slice(-200)}`);
    }
  });

  it('refuses a multipart body without one plain boundary', async () => {
    for (const type of ['multipart/form-data', 'multipart/form-data; boundary=a; boundary=b', 'multipart/form-data; boundary= a']) {
      const res = await post(type, '--a\r\n\r\n');
      assert.equal(res.status, 400, type);
    }
  });
});

function multipart(parts: [string, string][]): string {
  return parts.map(([disposition, value]) => `--BOUNDARY\r\nContent-Disposition: form-data; ${disposition}\r\n\r\n${value}\r\n`).join('') + '--BOUNDARY--\r\n';
}

function chunkedRequest(type: string, chunks: string[]): string {
  const body = chunks.map((c) => `${Buffer.byteLength(c).toString(16)}\r\n${c}\r\n`).join('') + '0\r\n\r\n';
  return `POST /x HTTP/1.1\r\nHost: gw\r\nContent-Type: ${type}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body}`;
}

/** Writes `request` as raw bytes and reads until the proxy closes the connection. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    socket.on('data', (c: Buffer) => (data += c.toString()));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve(data) : reject(err)));
    socket.on('close', () => resolve(data));
  });
}
