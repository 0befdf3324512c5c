/**
 * Identity and client-address spoofing through a real listener (raw `node:net` requests, so the
 * header names reach the proxy exactly as spelled): what the upstream receives, and the client
 * address plugins see as `ctx.clientIp`, with and without `trusted_ips`, over IPv4 and IPv6.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import Type from 'typebox';
import type { Config } from '../config/schema.js';
import { BUILTIN_PLUGINS } from '../plugins/registry.js';
import type { PluginDefinition } from '../plugins/plugin.js';
import { CONTINUE } from '../plugins/plugin.js';
import { createEntityFactory } from './testing/entities.js';
import { SPOOFED_HEADER_NAMES } from './testing/spoofed-header-names.js';
import { echoRequest, startProxy, startUpstream, type Echo, type TestProxy, type Upstream } from './testing/harness.js';

const make = createEntityFactory();

/** Shows the upstream the client address plugins see. */
const clientIpPlugin: PluginDefinition = {
  name: 'show-client-ip',
  priority: 10,
  configSchema: Type.Object({}),
  create: () => ({
    access(ctx) {
      ctx.upstreamHeaders['x-test-client-ip'] = ctx.clientIp;
      return CONTINUE;
    },
  }),
};

interface Listener {
  readonly proxy: TestProxy;
  readonly host: string;
}

async function listener(upstream: Upstream, overrides: Partial<Config>): Promise<Listener> {
  const svc = make.service({ port: upstream.port });
  const route = make.route({ paths: ['/'], service: { id: svc.id } });
  const plugins = [make.plugin({ name: 'show-client-ip', config: {} })];
  const proxy = await startProxy({ services: [svc], routes: [route], consumers: [], plugins }, overrides, [...BUILTIN_PLUGINS, clientIpPlugin]);
  const listen = String(overrides.proxy_listen);
  return { proxy, host: listen.slice(0, listen.lastIndexOf(':')).replace(/^\[|\]$/g, '') };
}

/** Sends `headers` (names as given) from `from` and returns the upstream's echo. */
function rawEcho(target: Listener, headers: readonly [string, string][], from = target.host): Promise<Echo> {
  const lines = [`GET /x HTTP/1.1`, `Host: gw.example.com:8000`, ...headers.map(([n, v]) => `${n}: ${v}`), 'Connection: close', '', ''];
  return new Promise((resolve, reject) => {
    const socket = connect(target.proxy.port, from, () => socket.write(lines.join('\r\n')));
    let data = '';
    socket.on('data', (c: Buffer) => (data += c.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = data.slice(9, 12);
      if (status !== '200') return reject(new Error(`status ${status}: ${data}`));
      resolve(JSON.parse(data.slice(data.indexOf('\r\n\r\n') + 4)) as Echo);
    });
  });
}

/** No value the client sent as `spoofed` reached the upstream, under any name. */
function assertNoSpoofedValue(headers: IncomingHttpHeaders, label: string): void {
  for (const [name, value] of Object.entries(headers))
    assert.ok(!String(value).includes('6.6.6.6') && value !== 'mallory', `${label}: ${name}=${String(value)}`);
}

describe('spoofed identity and client-address headers through a real listener', () => {
  let upstream: Upstream;
  const listeners: Listener[] = [];
  let plain4: Listener;
  let trusted4: Listener;
  let plain6: Listener;
  let trusted6: Listener;
  let dualStack: Listener;

  before(async () => {
    upstream = await startUpstream(echoRequest);
    plain4 = await listener(upstream, { proxy_listen: '127.0.0.1:0' });
    trusted4 = await listener(upstream, { proxy_listen: '127.0.0.1:0', trusted_ips: ['127.0.0.1', '10.0.0.0/8'] });
    plain6 = await listener(upstream, { proxy_listen: '[::1]:0' });
    trusted6 = await listener(upstream, { proxy_listen: '[::1]:0', trusted_ips: ['::1/128', '2001:db8::/32'] });
    dualStack = await listener(upstream, { proxy_listen: '[::]:0', trusted_ips: ['127.0.0.0/8'] });
    listeners.push(plain4, trusted4, plain6, trusted6, dualStack);
  });
  after(async () => {
    for (const l of listeners) await l.proxy.close();
    await upstream.close();
  });

  it('drops every spoofed spelling from a client that is not a trusted proxy (IPv4 and IPv6)', async () => {
    for (const target of [plain4, plain6]) {
      for (const name of SPOOFED_HEADER_NAMES) {
        const value = /consumer|credential/i.test(name) ? 'mallory' : '6.6.6.6';
        const echo = await rawEcho(target, [[name, value]]);
        assertNoSpoofedValue(echo.headers, `${target.host} ${name}`);
        assert.equal(echo.headers['x-real-ip'], target.host, name);
        assert.equal(echo.headers['x-test-client-ip'], target.host, name);
      }
    }
  });

  it('replaces the forwarding headers of an untrusted client with the connection, quoting IPv6 in Forwarded', async () => {
    const spoofing: [string, string][] = [
      ['X-Forwarded-For', '6.6.6.6'],
      ['X-Forwarded-Proto', 'https'],
      ['X-Forwarded-Host', 'evil.example'],
      ['X-Forwarded-Port', '443'],
      ['Forwarded', 'for=6.6.6.6;proto=https'],
    ];
    const cases: [Listener, string][] = [
      [plain4, 'for=127.0.0.1;host="gw.example.com:8000";proto=http'],
      [plain6, 'for="[::1]";host="gw.example.com:8000";proto=http'],
    ];
    for (const [target, forwarded] of cases) {
      const echo = await rawEcho(target, spoofing);
      assert.equal(echo.headers['x-forwarded-for'], target.host);
      assert.equal(echo.headers['x-forwarded-proto'], 'http');
      assert.equal(echo.headers['x-forwarded-host'], 'gw.example.com');
      assert.equal(echo.headers['x-forwarded-port'], String(target.proxy.port));
      assert.equal(echo.headers['forwarded'], forwarded);
      assert.equal(echo.headers['x-real-ip'], target.host);
    }
  });

  it('behind a trusted proxy, takes the client from the right-most untrusted X-Forwarded-For entry and extends the chain', async () => {
    const cases: { target: () => Listener; xff: string | null; client: string }[] = [
      { target: () => trusted4, xff: null, client: '127.0.0.1' },
      { target: () => trusted4, xff: '203.0.113.9', client: '203.0.113.9' },
      { target: () => trusted4, xff: '6.6.6.6, 203.0.113.9', client: '203.0.113.9' },
      { target: () => trusted4, xff: '6.6.6.6, 203.0.113.9, 10.1.1.1, 10.2.2.2', client: '203.0.113.9' },
      { target: () => trusted4, xff: '10.0.0.2, 10.0.0.3', client: '10.0.0.2' },
      { target: () => trusted4, xff: '6.6.6.6, garbage, 10.0.0.3', client: '10.0.0.3' },
      { target: () => trusted4, xff: '[2001:db8::1]:443, 10.0.0.3', client: '2001:db8::1' },
      { target: () => trusted6, xff: '2a00:1450::9', client: '2a00:1450::9' },
      { target: () => trusted6, xff: '6.6.6.6, 2a00:1450::9, 2001:db8::5', client: '2a00:1450::9' },
      { target: () => trusted6, xff: null, client: '::1' },
    ];
    for (const { target, xff, client } of cases) {
      const t = target();
      const echo = await rawEcho(t, xff === null ? [] : [['X-Forwarded-For', xff]]);
      assert.equal(echo.headers['x-real-ip'], client, String(xff));
      assert.equal(echo.headers['x-test-client-ip'], client, String(xff));
      assert.equal(echo.headers['x-forwarded-for'], xff === null ? t.host : `${xff}, ${t.host}`, String(xff));
    }
  });

  it("keeps a trusted proxy's scheme, host, port, Forwarded and client-address headers, never its identity headers", async () => {
    const echo = await rawEcho(trusted4, [
      ['X-Forwarded-For', '203.0.113.9'],
      ['X-Forwarded-Proto', 'https'],
      ['X-Forwarded-Host', 'shop.example.com'],
      ['X-Forwarded-Port', '443'],
      ['Forwarded', 'for=203.0.113.9;proto=https'],
      ['X-Real-IP', '6.6.6.6'],
      ['True-Client-IP', '203.0.113.9'],
      ['X-Consumer-Username', 'mallory'],
      ['X_Consumer_Username', 'mallory'],
      ['X_Forwarded_For', '6.6.6.6'],
    ]);
    assert.equal(echo.headers['x-forwarded-proto'], 'https');
    assert.equal(echo.headers['x-forwarded-host'], 'shop.example.com');
    assert.equal(echo.headers['x-forwarded-port'], '443');
    assert.equal(echo.headers['forwarded'], 'for=203.0.113.9;proto=https, for=127.0.0.1;host="gw.example.com:8000";proto=http');
    assert.equal(echo.headers['true-client-ip'], '203.0.113.9');
    assert.equal(echo.headers['x-real-ip'], '203.0.113.9');
    assertNoSpoofedValue(echo.headers, 'trusted');
  });

  it('reads an IPv4 client of a dual-stack listener as IPv4, for trusted_ips and X-Real-IP alike', async () => {
    const direct = await rawEcho(dualStack, [], '127.0.0.1');
    assert.equal(direct.headers['x-real-ip'], '127.0.0.1');
    assert.equal(direct.headers['forwarded'], 'for=127.0.0.1;host="gw.example.com:8000";proto=http');
    const forwarded = await rawEcho(dualStack, [['X-Forwarded-For', '203.0.113.9']], '127.0.0.1');
    assert.equal(forwarded.headers['x-real-ip'], '203.0.113.9', '127.0.0.1 (seen as ::ffff:127.0.0.1) is trusted');
    const fromV6 = await rawEcho(dualStack, [['X-Forwarded-For', '203.0.113.9']], '::1');
    assert.equal(fromV6.headers['x-real-ip'], '::1', '::1 is not in trusted_ips');
  });
});
