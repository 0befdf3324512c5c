/**
 * Route and service changes through the Admin API of a running node (SQLite and PostgreSQL), each
 * checked on the proxy right after the write answers (read-your-writes), and how the node applied
 * it: `portcullis_config_updates_total` (derived from the previous state) or
 * `portcullis_config_rebuilds_total` (a full rebuild: plugin changes, and what an update cannot take).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DIALECTS } from '../../test/support/databases.js';
import { startTestNode, type TestNode } from '../../test/support/running-node.js';

type Json = Record<string, any>;

/** An upstream answering with the path it was asked for. */
async function startEcho(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => res.end(JSON.stringify({ path: req.url })));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** A proxy request with a Host header (fetch does not send one of its own). */
function proxyGet(port: number, path: string, host: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

interface Step {
  readonly what: string;
  readonly call: [string, string, unknown?];
  /** How the node applied the write. */
  readonly applied: 'update' | 'full';
  /** Proxy requests after the write: [path, host, expected status, expected upstream path (200 only)]. */
  readonly expect: readonly [string, string, number, string?][];
}

const STEPS = (upstream: string): Step[] => [
  { what: 'a service is created', call: ['POST', '/services', { name: 'a', url: `${upstream}/a` }], applied: 'update', expect: [['/one/x', 'h.test', 404]] },
  {
    what: 'a route is created',
    call: ['POST', '/routes', { name: 'r1', paths: ['/one'], service: { name: 'a' } }],
    applied: 'update',
    expect: [['/one/x', 'h.test', 200, '/a/x']],
  },
  {
    what: 'the route changes its path',
    call: ['PATCH', '/routes/r1', { paths: ['/uno'] }],
    applied: 'update',
    expect: [
      ['/one/x', 'h.test', 404],
      ['/uno/x', 'h.test', 200, '/a/x'],
    ],
  },
  {
    what: 'a route with a host and a longer prefix is created',
    call: ['POST', '/routes', { name: 'r2', hosts: ['api.test'], paths: ['/uno/deep'], strip_path: false, service: { name: 'a' } }],
    applied: 'update',
    expect: [
      ['/uno/deep/1', 'api.test', 200, '/a/uno/deep/1'],
      ['/uno/deep/1', 'h.test', 200, '/a/deep/1'],
    ],
  },
  {
    what: "the service's url changes (its routes follow)",
    call: ['PATCH', '/services/a', { url: `${upstream}/b` }],
    applied: 'update',
    expect: [
      ['/uno/x', 'h.test', 200, '/b/x'],
      ['/uno/deep/1', 'api.test', 200, '/b/uno/deep/1'],
    ],
  },
  {
    what: 'the service is disabled (its routes stop matching)',
    call: ['PATCH', '/services/a', { enabled: false }],
    applied: 'update',
    expect: [
      ['/uno/x', 'h.test', 404],
      ['/uno/deep/1', 'api.test', 404],
    ],
  },
  { what: 'the service is enabled again', call: ['PATCH', '/services/a', { enabled: true }], applied: 'update', expect: [['/uno/x', 'h.test', 200, '/b/x']] },
  {
    what: 'a plugin on the service is created (a full rebuild)',
    call: ['POST', '/plugins', { name: 'request-termination', service: { name: 'a' }, config: { status_code: 418 } }],
    applied: 'full',
    expect: [['/uno/x', 'h.test', 418]],
  },
  {
    what: "a route created after it gets the service's plugin",
    call: ['POST', '/routes', { name: 'r3', paths: ['/tres'], service: { name: 'a' } }],
    applied: 'update',
    expect: [['/tres', 'h.test', 418]],
  },
  {
    what: 'another service is created',
    call: ['POST', '/services', { name: 'c', url: `${upstream}/c` }],
    applied: 'update',
    expect: [['/tres', 'h.test', 418]],
  },
  {
    what: 'a route moves to that service (no plugin there)',
    call: ['PATCH', '/routes/r3', { service: { name: 'c' } }],
    applied: 'update',
    expect: [['/tres/z', 'h.test', 200, '/c/z']],
  },
  { what: 'a route is deleted', call: ['DELETE', '/routes/r3'], applied: 'update', expect: [['/tres/z', 'h.test', 404]] },
  { what: 'a service without routes is deleted', call: ['DELETE', '/services/c'], applied: 'update', expect: [['/uno/x', 'h.test', 418]] },
  {
    what: 'a route under a host is deleted (requests fall to the host-less route)',
    call: ['DELETE', '/routes/r2'],
    applied: 'update',
    expect: [['/uno/deep/1', 'api.test', 418]],
  },
];

for (const dialect of DIALECTS) {
  describe(`route and service changes on a running node (${dialect})`, () => {
    let t: TestNode;
    let echo: { server: Server; url: string };
    before(async () => {
      echo = await startEcho();
      t = await startTestNode(dialect);
    });
    after(async () => {
      await t?.close();
      echo?.server.close();
    });

    const counters = async () => {
      const text = (await t.call('GET', '/metrics')).text;
      const value = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
      return { full: value('portcullis_config_rebuilds_total'), update: value('portcullis_config_updates_total') };
    };
    const proxy = (path: string, host: string) => proxyGet(t.node.proxyAddress.port, path, host);

    it('serves every change as soon as the write answers, applying route and service changes without a full rebuild', async () => {
      for (const step of STEPS(echo.url)) {
        const before = await counters();
        const [method, path, body] = step.call;
        const res = await t.call(method, path, body);
        assert.ok(res.status < 300, `${step.what}: ${method} ${path} → ${res.status} ${res.text}`);
        const after = await counters();
        const expected = step.applied === 'update' ? { full: before.full, update: before.update + 1 } : { full: before.full + 1, update: before.update };
        assert.deepEqual(after, expected, `${step.what}: applied by ${step.applied}`);
        for (const [requestPath, host, status, upstreamPath] of step.expect) {
          const { status: answered, text } = await proxy(requestPath, host);
          assert.equal(answered, status, `${step.what}: ${host} ${requestPath} → ${text}`);
          if (upstreamPath !== undefined) assert.equal((JSON.parse(text) as Json)['path'], upstreamPath, `${step.what}: ${host} ${requestPath}`);
        }
      }
    });

    it('keeps serving the routes of a service whose delete is refused (it still has routes)', async () => {
      assert.equal((await t.call('POST', '/services', { name: 'kept', url: `${echo.url}/k` })).status, 201);
      for (let i = 0; i < 3; i++) assert.equal((await t.call('POST', '/routes', { name: `k${i}`, paths: [`/k${i}`], service: { name: 'kept' } })).status, 201);
      const before = await counters();
      const refused = await t.call('DELETE', '/services/kept');
      assert.equal(refused.status, 409, refused.text);
      assert.deepEqual(await counters(), before, 'nothing committed, nothing applied');
      const { status, text } = await proxy('/k2/q', 'h.test');
      assert.equal(status, 200, text);
      assert.equal((JSON.parse(text) as Json)['path'], '/k/q');
    });
  });
}
