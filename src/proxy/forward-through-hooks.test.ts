/**
 * The proxy's upstream hooks with small test plugins: `beforeUpstream` before each attempt,
 * buffering where a plugin asks, and the one retry a `retryUpstream` hook can ask for.
 */
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import Type from 'typebox';
import { CONTINUE, type PluginDefinition, type PluginInstance, type UpstreamRequest } from '../plugins/plugin.js';
import { BUILTIN_PLUGINS } from '../plugins/registry.js';
import { createEntityFactory } from './testing/entities.js';
import { send, startProxy, startUpstream, type TestProxy, type Upstream } from './testing/harness.js';
import { tagPlugin } from './testing/plugins.js';
import { DISCARD_LIMIT } from './retryable-attempt.js';

type Hooks = Omit<PluginInstance, 'close'>;

/** A plugin whose instance is `hooks` (priority 500, no config). */
function hookPlugin(name: string, hooks: Hooks): PluginDefinition {
  return { name, priority: 500, configSchema: Type.Object({}), create: () => hooks };
}

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

describe('upstream hooks in the proxy', () => {
  let upstream: Upstream;
  let proxy: TestProxy;
  let seen: Seen[];
  afterEach(async () => {
    await proxy.close();
    await upstream.close();
  });

  /** Starts an upstream answering with `reply(n, seen)` (n counts from 1) and a proxy whose service has `plugins`. */
  async function start(reply: (n: number, req: Seen, res: ServerResponse) => void, plugins: PluginDefinition[], service: Record<string, unknown> = {}) {
    seen = [];
    upstream = await startUpstream((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
        seen.push(s);
        reply(seen.length, s, res);
      });
    });
    const make = createEntityFactory();
    const svc = make.service({ ...service, port: upstream.port });
    proxy = await startProxy(
      {
        services: [svc],
        routes: [make.route({ name: 'all', paths: ['/'], service: { id: svc.id } })],
        consumers: [],
        plugins: plugins.map((p) => make.plugin({ name: p.name, config: p.name === 'tag' ? { value: 'v' } : {}, service: { id: svc.id } })),
      },
      {},
      [...BUILTIN_PLUGINS, ...plugins],
    );
  }

  const answer =
    (status: number, body: string, headers: Record<string, string> = {}) =>
    (_n: number, _s: Seen, res: ServerResponse) => {
      res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers });
      res.end(body);
    };

  it('runs beforeUpstream after the access phase, seeing the method, the path and query as sent, and the buffered body', async () => {
    const requests: UpstreamRequest[] = [];
    const tagsSeen: unknown[] = [];
    const hook = hookPlugin('hook', {
      buffersBodyUpTo: 1024,
      beforeUpstream(ctx, req) {
        requests.push(req);
        tagsSeen.push(ctx.upstreamHeaders['x-tags']);
        ctx.upstreamHeaders['x-signed'] = `${req.method} ${req.target}`;
        return CONTINUE;
      },
    });
    await start(answer(200, 'ok'), [tagPlugin(), hook], { path: '/base' });
    await send(proxy.port, '/x?q=1', { method: 'POST', body: 'hello' });
    assert.deepEqual(requests, [{ method: 'POST', target: '/base/x?q=1', body: Buffer.from('hello'), attempt: 1 }]);
    assert.deepEqual(tagsSeen, ['tag:v']);
    assert.equal(seen[0]!.headers['x-signed'], 'POST /base/x?q=1');
    assert.equal(seen[0]!.body, 'hello');
  });

  it('answers a refusal of beforeUpstream with its JSON error, sync or async, and sends nothing upstream', async () => {
    for (const async of [false, true]) {
      const refusal = { kind: 'reject', status: 502, code: 'PC_PROXY_UPSTREAM_AUTH_FAILED' } as const;
      await start(answer(200, 'ok'), [hookPlugin('hook', { beforeUpstream: () => (async ? Promise.resolve(refusal) : refusal) })]);
      const res = await send(proxy.port, '/x');
      assert.equal(res.status, 502);
      assert.equal(res.json()['code'], 'PC_PROXY_UPSTREAM_AUTH_FAILED');
      assert.equal(seen.length, 0);
      await proxy.close();
      await upstream.close();
    }
    await start(answer(200, 'ok'), []);
  });

  it('answers 500 PC_INTERNAL when a beforeUpstream hook throws, with or without a buffered body', async () => {
    await start(answer(200, 'ok'), [
      hookPlugin('hook', {
        buffersBodyUpTo: 100,
        beforeUpstream: () => {
          throw new Error('boom');
        },
      }),
    ]);
    for (const options of [{}, { method: 'POST', body: 'buffered' }]) {
      const res = await send(proxy.port, '/x', options);
      assert.equal(res.status, 500);
      assert.equal(res.json()['code'], 'PC_INTERNAL');
    }
    assert.equal(seen.length, 0);
  });

  it('sends nothing upstream when the client leaves while its body is being buffered', async () => {
    let before = 0;
    await start(answer(200, 'ok'), [hookPlugin('hook', { buffersBodyUpTo: 1000, beforeUpstream: () => (before++, CONTINUE) })]);
    const req = request({ host: '127.0.0.1', port: proxy.port, path: '/x', method: 'POST', agent: false, headers: { 'content-length': '100' } });
    req.on('error', () => {});
    req.write('only part of it');
    await sleep(30);
    req.destroy();
    await sleep(50);
    assert.equal(before, 0);
    assert.equal(seen.length, 0);
    assert.match(await proxy.metrics.registry.metrics(), /portcullis_http_requests_total\{[^}]*status="499"[^}]*\} 1/);
  });

  it('relays an answer no hook wants retried as it came', async () => {
    const statuses: number[] = [];
    await start(answer(401, 'nope', { 'x-upstream': 'yes', 'www-authenticate': 'Bearer' }), [
      hookPlugin('hook', { beforeUpstream: () => CONTINUE, retryUpstream: (_ctx, status) => (statuses.push(status), false) }),
    ]);
    const res = await send(proxy.port, '/x');
    assert.equal(res.status, 401);
    assert.equal(res.text, 'nope');
    assert.equal(res.headers['x-upstream'], 'yes');
    assert.equal(res.headers['www-authenticate'], 'Bearer');
    assert.deepEqual(statuses, [401]);
    assert.equal(seen.length, 1);
  });

  it('holds an answer while a hook decides, then relays it whole when the answer is no', async () => {
    const big = 'b'.repeat(300 * 1024);
    await start(answer(401, big), [hookPlugin('hook', { beforeUpstream: () => CONTINUE, retryUpstream: () => sleep(30).then(() => false) })]);
    const res = await send(proxy.port, '/x');
    assert.equal(res.status, 401);
    assert.equal(res.text, big);
    assert.equal(seen.length, 1);
  });

  it('on a retry, discards the first answer, runs beforeUpstream again as attempt 2, sends the same body, and relays the second answer whatever it is', async () => {
    for (const decide of [() => true, () => Promise.resolve(true)]) {
      const attempts: number[] = [];
      let asked = 0;
      await start(
        (n, _s, res) => answer(401, n === 1 ? 'first-answer' : 'second-answer', { 'x-n': String(n) })(n, _s, res),
        [
          hookPlugin('hook', {
            buffersBodyUpTo: 1024,
            beforeUpstream: (ctx, req) => {
              attempts.push(req.attempt);
              ctx.upstreamHeaders['x-attempt'] = String(req.attempt);
              return CONTINUE;
            },
            retryUpstream: () => (asked++, decide()),
          }),
        ],
      );
      const res = await send(proxy.port, '/x', { method: 'PUT', body: '{"same":"body"}', headers: { 'content-type': 'application/json' } });
      assert.equal(res.status, 401);
      assert.equal(res.text, 'second-answer');
      assert.equal(res.headers['x-n'], '2');
      assert.deepEqual(attempts, [1, 2]);
      assert.equal(asked, 1, 'the second answer is not put to the hooks');
      assert.deepEqual(
        seen.map((s) => [s.method, s.headers['x-attempt'], s.body, s.headers['content-length']]),
        [
          ['PUT', '1', '{"same":"body"}', '15'],
          ['PUT', '2', '{"same":"body"}', '15'],
        ],
      );
      await proxy.close();
      await upstream.close();
    }
    await start(answer(200, 'ok'), []);
  });

  it('cuts a discarded answer longer than the discard limit, and still relays the retry', async () => {
    await start(
      (n, s, res) => (n === 1 ? answer(401, 'x'.repeat(DISCARD_LIMIT * 4)) : answer(200, 'fine'))(n, s, res),
      [hookPlugin('hook', { beforeUpstream: () => CONTINUE, retryUpstream: (_ctx, status) => status === 401 })],
    );
    const res = await send(proxy.port, '/x');
    assert.equal(res.status, 200);
    assert.equal(res.text, 'fine');
  });

  it('never retries a streamed body: chunked, or longer than the chain buffers', async () => {
    const bodies: UpstreamRequest['body'][] = [];
    let asked = 0;
    await start(answer(401, 'no'), [
      hookPlugin('hook', {
        buffersBodyUpTo: 8,
        beforeUpstream: (_ctx, req) => (bodies.push(req.body), CONTINUE),
        retryUpstream: () => (asked++, true),
      }),
    ]);
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: proxy.port, path: '/x', method: 'POST', agent: false, headers: { 'transfer-encoding': 'chunked' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end('tiny');
    });
    assert.equal(chunked, 401);
    assert.equal((await send(proxy.port, '/x', { method: 'POST', body: '123456789' })).status, 401);
    assert.equal((await send(proxy.port, '/x', { method: 'POST', body: '12345678' })).status, 401);
    assert.deepEqual(bodies.slice(0, 2), ['streamed', 'streamed']);
    assert.deepEqual(bodies[2], Buffer.from('12345678'));
    assert.equal(asked, 1, 'only the buffered body was put to the hook');
    assert.deepEqual(
      seen.map((s) => s.body),
      ['tiny', '123456789', '12345678', '12345678'],
    );
  });

  it('asks every retry hook, even once one said yes', async () => {
    const asked: string[] = [];
    const retrying = (name: string, yes: boolean) => hookPlugin(name, { retryUpstream: () => (asked.push(name), yes ? Promise.resolve(true) : false) });
    await start((n, s, res) => answer(n === 1 ? 401 : 200, 'x')(n, s, res), [retrying('first', true), retrying('second', false)]);
    assert.equal((await send(proxy.port, '/x')).status, 200);
    assert.deepEqual(asked.sort(), ['first', 'second']);
  });

  it('relays the answer when a retry hook throws or rejects', async () => {
    for (const failing of [
      () => {
        throw new Error('sync');
      },
      () => Promise.reject(new Error('async')),
    ]) {
      await start(answer(401, 'kept'), [hookPlugin('hook', { retryUpstream: failing })]);
      const res = await send(proxy.port, '/x');
      assert.equal(res.status, 401);
      assert.equal(res.text, 'kept');
      await proxy.close();
      await upstream.close();
    }
    await start(answer(200, 'ok'), []);
  });

  it('writes nothing and sends nothing more when the client leaves while the hooks decide', async () => {
    let release: (retry: boolean) => void = () => {};
    let askedAt: () => void = () => {};
    const asked = new Promise<void>((r) => (askedAt = r));
    await start(answer(401, 'no'), [
      hookPlugin('hook', {
        retryUpstream: () => {
          askedAt();
          return new Promise<boolean>((r) => (release = r));
        },
      }),
    ]);
    const req = request({ host: '127.0.0.1', port: proxy.port, path: '/x', agent: false });
    req.on('error', () => {});
    req.end();
    await asked;
    req.destroy();
    await sleep(20);
    release(true);
    await sleep(50);
    assert.equal(seen.length, 1);
    assert.match(await proxy.metrics.registry.metrics(), /portcullis_http_requests_total\{[^}]*status="499"[^}]*\} 1/);
  });

  it('keeps the service’s connect retries on hooked routes', async () => {
    let before = 0;
    await start(answer(200, 'ok'), []);
    const port = upstream.server.address() as { port: number };
    await upstream.close();
    const make = createEntityFactory();
    const svc = make.service({ port: port.port, retries: 2 });
    const hook = hookPlugin('hook', { beforeUpstream: () => (before++, CONTINUE), retryUpstream: () => true });
    const refused = await startProxy(
      {
        services: [svc],
        routes: [make.route({ name: 'all', paths: ['/'], service: { id: svc.id } })],
        consumers: [],
        plugins: [make.plugin({ name: 'hook', service: { id: svc.id } })],
      },
      {},
      [...BUILTIN_PLUGINS, hook],
    );
    try {
      const res = await send(refused.port, '/x');
      assert.equal(res.status, 502);
      assert.equal(res.json()['code'], 'PC_PROXY_UPSTREAM_UNAVAILABLE');
      assert.equal(before, 1);
      const text = await refused.metrics.registry.metrics();
      assert.match(text, /portcullis_upstream_errors_total\{route="all",service="[^"]+",kind="connect"\} 1\n/);
      assert.match(text, /portcullis_upstream_retries_total\{route="all",service="[^"]+"\} 2\n/);
    } finally {
      await refused.close();
    }
    upstream = await startUpstream(() => {});
  });
});
