import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { RuntimeSnapshot } from '../runtime-state.js';
import { createEntityFactory } from '../testing/entities.js';
import { send, startProxy, type TestProxy } from '../testing/harness.js';
import { rawExchange } from '../testing/raw-http.js';
import { until } from '../../../test/support/until.js';

const make = createEntityFactory();

/** A real `ws` echo server that also records each handshake's headers. */
async function startEcho(): Promise<{ port: number; handshakes: IncomingHttpHeaders[]; wss: WebSocketServer; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => res.writeHead(200).end('plain'));
  const wss = new WebSocketServer({ server });
  const handshakes: IncomingHttpHeaders[] = [];
  wss.on('connection', (socket, req) => {
    handshakes.push(req.headers);
    socket.on('message', (data, binary) => socket.send(data, { binary }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    handshakes,
    wss,
    close: () => {
      for (const c of wss.clients) c.terminate();
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`status ${res.statusCode}`), { status: res.statusCode })));
  });
}

function echoOnce(ws: WebSocket, data: string | Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    ws.once('message', (message) => resolve(message as Buffer));
    ws.send(data);
  });
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

describe('WebSocket through the proxy', () => {
  let echo: Awaited<ReturnType<typeof startEcho>>;
  let proxy: TestProxy;
  let snapshot: RuntimeSnapshot;

  before(async () => {
    echo = await startEcho();
    const service = make.service({ name: 'echo', port: echo.port });
    const to = { service: { id: service.id } };
    snapshot = {
      services: [service],
      routes: [
        make.route({ name: 'ws', paths: ['/ws'], protocols: ['ws'], ...to }),
        make.route({ name: 'wss-only', paths: ['/wss-only'], protocols: ['wss'], ...to }),
        make.route({ name: 'http', paths: ['/http'], ...to }),
      ],
      consumers: [],
      plugins: [],
    };
    proxy = await startProxy(snapshot, { websocket_idle_timeout: 0 });
  });
  after(async () => {
    await proxy.close();
    await echo.close();
  });

  it('echoes text and binary messages through a ws route, and counts the bytes and the open connection', async () => {
    const ws = await connect(`ws://127.0.0.1:${proxy.port}/ws`);
    assert.equal((await echoOnce(ws, 'hello')).toString(), 'hello');
    const binary = Buffer.from([0, 1, 2, 255]);
    assert.deepEqual(await echoOnce(ws, binary), binary);
    const metrics = await proxy.metrics.registry.getSingleMetricAsString('portcullis_websocket_connections');
    assert.match(metrics, /route="ws",service="echo"} 1/);
    const bytes = await proxy.metrics.registry.getSingleMetricAsString('portcullis_websocket_bytes_total');
    assert.match(bytes, /direction="client_to_upstream"} [1-9]/);
    const done = closed(ws);
    ws.close(1000);
    assert.equal(await done, 1000);
    await until('the open-connections gauge back at 0', async () =>
      /route="ws",service="echo"} 0/.test(await proxy.metrics.registry.getSingleMetricAsString('portcullis_websocket_connections')),
    );
  });

  it('refuses a handshake to an HTTP route with 400 and an ordinary request to a WebSocket route with 426', async () => {
    await assert.rejects(connect(`ws://127.0.0.1:${proxy.port}/http`), { status: 400 });
    await assert.rejects(connect(`ws://127.0.0.1:${proxy.port}/wss-only`), { status: 426 });
    const plain = await send(proxy.port, '/ws');
    assert.equal(plain.status, 426);
    assert.equal(plain.json()['code'], 'PC_PROXY_WEBSOCKET_REQUIRED');
    assert.equal(plain.headers['upgrade'], 'websocket');
  });

  it('refuses malformed handshakes with 400 before any reaches the upstream', async () => {
    const before = echo.handshakes.length;
    const base = 'GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n';
    for (const extra of [
      'Sec-WebSocket-Version: 13\r\n',
      'Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n',
    ]) {
      const answer = await rawExchange(proxy.port, `${base}${extra}\r\n`);
      assert.match(answer, /^HTTP\/1\.1 400 /, extra);
      assert.match(answer, /PC_BAD_REQUEST/);
      assert.match(answer, /x-request-id: /i);
    }
    assert.equal(echo.handshakes.length, before);
  });

  it('echoes a 16 MiB binary message and a burst of 200 messages in order (back-pressure both ways)', async () => {
    const ws = await connect(`ws://127.0.0.1:${proxy.port}/ws`);
    const large = Buffer.alloc(16 * 1024 * 1024, 7);
    large[large.length - 1] = 9;
    assert.deepEqual(await echoOnce(ws, large), large);
    const received: string[] = [];
    const all = new Promise<void>((resolve) =>
      ws.on('message', (m) => {
        received.push(m.toString());
        if (received.length === 200) resolve();
      }),
    );
    for (let i = 0; i < 200; i++) ws.send(`m${i}:${'x'.repeat(i * 100)}`);
    await all;
    assert.deepEqual(
      received.map((m) => m.split(':')[0]),
      Array.from({ length: 200 }, (_, i) => `m${i}`),
    );
    ws.terminate();
  });

  it('serves a request with another Upgrade (h2c) as plain HTTP/1.1 and refuses one with a body', async () => {
    const h2c = await rawExchange(
      proxy.port,
      'GET /http HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n',
    );
    assert.match(h2c, /^HTTP\/1\.1 200 /);
    assert.match(h2c, /\r\nplain\r\n/);
    const withBody = await rawExchange(proxy.port, 'POST /http HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 3\r\n\r\nabc');
    assert.match(withBody, /^HTTP\/1\.1 400 /);
  });
});

describe('WebSocket limits and shutdown', () => {
  let echo: Awaited<ReturnType<typeof startEcho>>;
  let snapshot: RuntimeSnapshot;

  before(async () => {
    echo = await startEcho();
    const service = make.service({ name: 'echo', port: echo.port });
    snapshot = {
      services: [service],
      routes: [make.route({ name: 'ws', paths: ['/ws'], protocols: ['ws'], service: { id: service.id } })],
      consumers: [],
      plugins: [],
    };
  });
  after(() => echo.close());

  it('closes an idle connection with 1001 after websocket_idle_timeout', async () => {
    const proxy = await startProxy(snapshot, { websocket_idle_timeout: 300 });
    try {
      const ws = await connect(`ws://127.0.0.1:${proxy.port}/ws`);
      const started = Date.now();
      assert.equal(await closed(ws), 1001);
      assert.ok(Date.now() - started >= 250);
    } finally {
      await proxy.close();
    }
  });

  it('answers 504 when the upstream does not complete the handshake within websocket_handshake_timeout', async () => {
    // Takes the handshake and never answers; its sockets are its own after an upgrade, so it destroys them itself.
    const silent = createServer();
    const held: import('node:stream').Duplex[] = [];
    silent.on('upgrade', (_req, socket) => held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const service = make.service({ name: 'silent', port: (silent.address() as AddressInfo).port });
    const proxy = await startProxy(
      {
        services: [service],
        routes: [make.route({ name: 'slow', paths: ['/slow'], protocols: ['ws'], service: { id: service.id } })],
        consumers: [],
        plugins: [],
      },
      { websocket_handshake_timeout: 300 },
    );
    try {
      await assert.rejects(connect(`ws://127.0.0.1:${proxy.port}/slow`), { status: 504 });
    } finally {
      await proxy.close();
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('refuses a handshake past websocket_max_connections with 503 (open tunnels and handshakes in progress count), and takes one again once a connection closed', async () => {
    // An upstream that takes the handshake on /held and never answers: a handshake in progress.
    const held: import('node:stream').Duplex[] = [];
    const mixed = createServer();
    const wss = new WebSocketServer({ noServer: true });
    mixed.on('upgrade', (req, socket, head) => {
      if (req.url === '/held') return void held.push(socket);
      wss.handleUpgrade(req, socket, head, (ws) => ws.on('message', (data, binary) => ws.send(data, { binary })));
    });
    await new Promise<void>((resolve) => mixed.listen(0, '127.0.0.1', resolve));
    const service = make.service({ name: 'mixed', port: (mixed.address() as AddressInfo).port });
    const proxy = await startProxy(
      {
        services: [service],
        routes: [make.route({ name: 'ws', paths: ['/echo', '/held'], protocols: ['ws'], strip_path: false, service: { id: service.id } })],
        consumers: [],
        plugins: [],
      },
      { websocket_max_connections: 2, websocket_idle_timeout: 0, websocket_handshake_timeout: 10_000 },
    );
    const url = `ws://127.0.0.1:${proxy.port}`;
    let hostile: Socket | undefined;
    try {
      const first = await connect(`${url}/echo`);
      const pending = new WebSocket(`${url}/held`);
      pending.on('error', () => {});
      await until('the held handshake reached the upstream', () => held.length === 1);
      const refused = await rawExchange(
        proxy.port,
        'GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      assert.match(refused, /^HTTP\/1\.1 503 /);
      assert.match(refused, /retry-after: 5/i);
      assert.match(refused, /"code":"PC_PROXY_WEBSOCKET_LIMIT"/);
      assert.match(refused, /x-request-id: /i);
      assert.equal((await proxy.metrics.websocketLimitRefusals.get()).values[0]?.value, 1);
      assert.equal((await echoOnce(first, 'still open')).toString(), 'still open');
      // The handshake in progress ends (the client gives up): its place is free.
      const gone = closed(pending);
      pending.terminate();
      await gone;
      const opened: WebSocket[] = [];
      await until('a place is free again', async () => opened.push(await connect(`${url}/echo`)) > 0);
      assert.equal((await echoOnce(opened[0]!, 'second')).toString(), 'second');
      // Closed the WebSocket way: once the client has seen the close, the gateway's tunnel is gone.
      for (const ws of [first, opened.pop()!]) {
        const done = closed(ws);
        ws.close(1000);
        await done;
      }
      // A handshake refused (no route here) whose client keeps its side open and reads nothing
      // more: the gateway closes it after its answer, so it does not hold a place.
      const halfOpen = netConnect({ port: proxy.port, host: '127.0.0.1', allowHalfOpen: true });
      hostile = halfOpen;
      const answered = new Promise<string>((resolve) => halfOpen.once('data', (chunk: Buffer) => resolve(chunk.toString('latin1'))));
      halfOpen.write(
        'GET /nowhere HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      assert.match(await answered, /^HTTP\/1\.1 404 /);
      // Two places: both free, though the refused client still holds its socket.
      await until('two places are free after the refused handshake', async () => opened.push(await connect(`${url}/echo`)) >= 2);
      for (const ws of opened) ws.terminate();
    } finally {
      hostile?.destroy();
      await proxy.close();
      for (const socket of held) socket.destroy();
      mixed.closeAllConnections();
      await new Promise((resolve) => mixed.close(resolve));
    }
  });

  it('lets open connections run until shutdown_timeout, then closes them with 1001 both ways', async () => {
    const proxy = await startProxy(snapshot, { shutdown_timeout: 300, websocket_idle_timeout: 0 });
    const ws = await connect(`ws://127.0.0.1:${proxy.port}/ws`);
    const upstreamSide = await new Promise<import('ws').WebSocket>((resolve) => {
      const last = [...echo.wss.clients].at(-1)!;
      resolve(last);
    });
    const upstreamClosed = closed(upstreamSide);
    const clientClosed = closed(ws);
    const stopping = proxy.close();
    // Still open while draining.
    assert.equal((await echoOnce(ws, 'during drain')).toString(), 'during drain');
    assert.equal(await clientClosed, 1001);
    assert.equal(await upstreamClosed, 1001);
    await stopping;
  });
});
