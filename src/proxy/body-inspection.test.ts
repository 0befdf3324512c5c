/**
 * Body inspection through a real listener, with test plugins that remove the field `secret`, one
 * reading the fields (`/read`), one only removing them (`/remove`, which refuses requests with
 * `x-deny`): which bodies are buffered and trimmed, which stream untouched, which are refused,
 * that a multipart part named `secret` never reaches the upstream, and that a refused request's
 * body is not read when no plugin reads fields.
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

/** Removes body fields named `secret` and shows the upstream what it saw; `reads` says whether it reads fields. */
function stripSecret(name: string, reads: boolean): PluginDefinition {
  return {
    name,
    priority: 10,
    configSchema: Type.Object({}),
    create: () => ({
      ...(reads ? { readsBody: true } : { removesBodyFields: true }),
      access(ctx) {
        if (ctx.req.headers['x-deny'] !== undefined) return { kind: 'reject', status: 401, code: 'PC_AUTH_KEY_INVALID' };
        ctx.upstreamHeaders['x-test-body'] = ctx.body === null ? 'none' : `${ctx.body.type}:${JSON.stringify([...ctx.body.fields])}`;
        ctx.body?.remove((field) => field === 'secret');
        return CONTINUE;
      },
    }),
  };
}

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
    const read = make.route({ paths: ['/read'], service: { id: svc.id } });
    const remove = make.route({ paths: ['/remove'], service: { id: svc.id } });
    proxy = await startProxy(
      {
        services: [svc],
        routes: [read, remove],
        consumers: [],
        plugins: [
          make.plugin({ name: 'read-secret', route: { id: read.id }, config: {} }),
          make.plugin({ name: 'remove-secret', route: { id: remove.id }, config: {} }),
        ],
      },
      { max_request_body_size: 64 * 1024 },
      [...BUILTIN_PLUGINS, stripSecret('read-secret', true), stripSecret('remove-secret', false)],
    );
  });
  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  const post = (type: string, body: string, headers: Record<string, string> = {}, path = '/read') =>
    send(proxy.port, path, { method: 'POST', headers: { 'content-type': type, ...headers }, body });

  it('buffers form and JSON bodies, gives their fields, and sends them without the removed field', async () => {
    const cases: [string, string, string, string][] = [
      ['application/x-www-form-urlencoded', 'secret=s&a=%20&secret=t', 'a=%20', 'form:[["secret",["s","t"]],["a",[" "]]]'],
      ['application/json', '{"secret":"s","a":1e400,"secret":2}', '{"a":1e400}', 'json:[["secret",["s",null]],["a",[null]]]'],
      ['application/problem+json; charset=utf-8', '{"a":"é"}', '{"a":"é"}', 'json:[["a",["é"]]]'],
    ];
    for (const [type, body, sent, seen] of cases) {
      for (const path of ['/read', '/remove']) {
        const res = await post(type, body, {}, path);
        assert.equal(res.status, 200, body);
        const echo = res.json<Echo>();
        assert.equal(echo.body, sent);
        assert.equal(echo.headers['content-length'], String(Buffer.byteLength(sent)));
        assert.equal(echo.headers['x-test-body'], path === '/read' ? seen : `${seen.slice(0, seen.indexOf(':'))}:[]`, `${path} ${body}`);
      }
    }
  });

  it('answers a refused request without reading its body when no plugin reads fields, and reads it first when one does', async () => {
    const partial = `POST /remove HTTP/1.1\r\nHost: gw\r\nContent-Type: application/json\r\nContent-Length: 60000\r\nx-deny: 1\r\n\r\n{"secret":`;
    assert.match(await rawExchange(proxy.port, partial), /^HTTP\/1\.1 401 /, 'answered before the body arrived');
    const waiting = await rawExchange(proxy.port, partial.replace('/remove', '/read'), 300);
    assert.equal(waiting, '', 'a plugin that reads fields waits for the body');
  });

  it('streams bodies of other types untouched and uninspected', async () => {
    for (const path of ['/read', '/remove']) {
      for (const type of ['text/plain', 'application/octet-stream', 'application/xml']) {
        const echo = (await post(type, 'secret=s', {}, path)).json<Echo>();
        assert.equal(echo.body, 'secret=s', type);
        assert.equal(echo.headers['x-test-body'], 'none');
      }
    }
  });

  it('refuses a JSON body that does not parse with 400, and a compressed form or JSON body with 415', async () => {
    for (const path of ['/read', '/remove']) {
      for (const body of ['{"secret":"s",}', '{"secret":"s","n":NaN}', '{"a":1}{"secret":"s"}']) {
        const res = await post('application/json', body, {}, path);
        assert.equal(res.status, 400, body);
        assert.equal(res.json()['code'], 'PC_BAD_REQUEST');
      }
    }
    for (const type of ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=b']) {
      const res = await post(type, 'x', { 'content-encoding': 'gzip' });
      assert.equal(res.status, 415, type);
      assert.equal(res.json()['code'], 'PC_UNSUPPORTED_MEDIA_TYPE');
    }
  });

  it('keeps the body limit: 413 for a buffered body over it, declared or chunked', async () => {
    const big = `a=${'x'.repeat(70 * 1024)}`;
    for (const path of ['/read', '/remove']) {
      assert.equal((await post('application/x-www-form-urlencoded', big, {}, path)).status, 413);
      const chunked = await rawExchange(proxy.port, chunkedRequest('application/x-www-form-urlencoded', [big.slice(0, 40_000), big.slice(40_000)], path));
      assert.match(chunked, /^HTTP\/1\.1 413 /, path);
    }
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
      const chunked = await rawExchange(
        proxy.port,
        chunkedRequest('multipart/form-data; boundary=BOUNDARY', [body.slice(0, 9000), body.slice(9000)], '/remove'),
      );
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

function chunkedRequest(type: string, chunks: string[], path = '/read'): string {
  const body = chunks.map((c) => `${Buffer.byteLength(c).toString(16)}\r\n${c}\r\n`).join('') + '0\r\n\r\n';
  return `POST ${path} HTTP/1.1\r\nHost: gw\r\nContent-Type: ${type}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body}`;
}

/** Writes `request` as raw bytes and reads until the proxy closes the connection, or until `waitMs` passed. */
function rawExchange(port: number, request: string, waitMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(data);
    }, waitMs);
    socket.on('data', (c: Buffer) => {
      data += c.toString();
      // An answer to a request whose body was not all sent: enough to judge, no need to wait for the close.
      if (data.includes('\r\n\r\n{')) socket.end();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve(data) : reject(err)));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}
