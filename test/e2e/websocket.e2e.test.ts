/**
 * WebSocket through the real CLI (issue 13): the `ws` package as client and as upstream echo
 * server. Handshakes run the access phase (key-auth, basic-auth) with nothing reaching the
 * upstream on a refusal; messages echo through the gateway; a revoked key closes its open
 * connection (1008, key-auth `close_on_revoke`), as does deleting its consumer or the service it is
 * scoped to; a stop drains, then closes with 1001.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { admin, startCliNode, writeConfig, type CliNode } from './support/cli.js';

interface EchoServer {
  readonly url: string;
  readonly handshakes: IncomingHttpHeaders[];
  close(): Promise<void>;
}

async function startWsEcho(): Promise<EchoServer> {
  const server: Server = createServer((_req, res) => res.writeHead(200).end('not a websocket'));
  const wss = new WebSocketServer({ server });
  const handshakes: IncomingHttpHeaders[] = [];
  wss.on('connection', (socket, req) => {
    handshakes.push(req.headers);
    socket.on('message', (data, binary) => socket.send(data, { binary }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    handshakes,
    close: () => {
      for (const c of wss.clients) c.terminate();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Opens a WebSocket; rejects with the HTTP status (and body) of a refused handshake. */
function connect(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => reject(Object.assign(new Error(`status ${res.statusCode}`), { status: res.statusCode, body, headers: res.headers })));
    });
  });
}

function echoOnce(ws: WebSocket, data: string | Buffer): Promise<Buffer> {
  return new Promise((resolve) => {
    ws.once('message', (message) => resolve(message as Buffer));
    ws.send(data);
  });
}

function closeCode(ws: WebSocket, within = 5000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the connection was not closed within ${within} ms`)), within);
    ws.once('close', (code) => (clearTimeout(timer), resolve(code)));
  });
}

describe('WebSocket through the real CLI', () => {
  let node: CliNode;
  let echo: EchoServer;
  let wsUrl: string;

  before(async () => {
    echo = await startWsEcho();
    node = await startCliNode(writeConfig({ shutdown_timeout: 1000 }));
    wsUrl = node.proxyUrl.replace('http://', 'ws://');
    assert.equal((await admin(node, 'POST', '/services', { name: 'chat', url: echo.url })).status, 201);
    assert.equal((await admin(node, 'POST', '/services/chat/routes', { name: 'chat', paths: ['/chat'], protocols: ['ws', 'wss'] })).status, 201);
    assert.equal((await admin(node, 'POST', '/services/chat/routes', { name: 'intranet', paths: ['/intranet'], protocols: ['ws'] })).status, 201);
    assert.equal((await admin(node, 'POST', '/routes/chat/plugins', { name: 'key-auth' })).status, 201);
    assert.equal((await admin(node, 'POST', '/routes/intranet/plugins', { name: 'basic-auth' })).status, 201);
    await admin(node, 'POST', '/consumers', { username: 'alice' });
    assert.equal((await admin(node, 'POST', '/consumers/alice/basic-auth', { username: 'alice', password: 'alice-ws-password' })).status, 201);
  });
  after(async () => {
    await node.stop();
    await echo.close();
  });

  it('refuses a mixed ws+http route at write time (400, protocols)', async () => {
    const res = await admin(node, 'POST', '/services/chat/routes', { paths: ['/mixed'], protocols: ['http', 'ws'] });
    assert.equal(res.status, 400);
    assert.match(JSON.stringify(res.body), /protocols/);
  });

  it('answers a handshake without a key, or with a wrong one, 401 with nothing reaching the upstream', async () => {
    const before = echo.handshakes.length;
    const variants: Record<string, string>[] = [{}, { 'x-api-key': 'pcg_not-a-real-key' }, { apikey: 'garbage' }];
    for (const headers of variants) {
      const refused = await connect(`${wsUrl}/chat`, headers).then(
        () => assert.fail('opened'),
        (err: { status: number; body: string; headers: IncomingHttpHeaders }) => err,
      );
      assert.equal(refused.status, 401);
      assert.equal(JSON.parse(refused.body).code, 'PC_AUTH_KEY_INVALID');
      assert.ok(refused.headers['x-request-id']);
      assert.ok(refused.headers['www-authenticate']);
    }
    assert.equal(echo.handshakes.length, before);
  });

  it('echoes text, binary and large messages with a key, which never reaches the upstream', async () => {
    const key: string = (await admin(node, 'POST', '/services/chat/api-keys', { name: 'echo', consumer: 'alice' })).body.api_key;
    const ws = await connect(`${wsUrl}/chat`, { 'x-api-key': key });
    const handshake = echo.handshakes.at(-1)!;
    assert.equal(handshake['x-api-key'], undefined, 'hide_credentials');
    assert.equal(handshake['x-consumer-username'], 'alice');
    assert.equal((await echoOnce(ws, 'hello')).toString(), 'hello');
    const binary = Buffer.from([0, 255, 1, 254]);
    assert.deepEqual(await echoOnce(ws, binary), binary);
    const large = Buffer.alloc(4 * 1024 * 1024, 3);
    assert.deepEqual(await echoOnce(ws, large), large);
    const done = closeCode(ws);
    ws.close(1000);
    assert.equal(await done, 1000);
  });

  it('closes an open connection with 1008 when its key is revoked', async () => {
    const created = await admin(node, 'POST', '/services/chat/api-keys', { name: 'revoked-while-open', consumer: 'alice' });
    assert.equal(created.status, 201);
    const ws = await connect(`${wsUrl}/chat`, { 'x-api-key': created.body.api_key });
    assert.equal((await echoOnce(ws, 'before')).toString(), 'before');
    const code = closeCode(ws);
    assert.equal((await admin(node, 'DELETE', '/services/chat/api-keys/revoked-while-open')).status, 204);
    assert.equal(await code, 1008);
    await assert.rejects(connect(`${wsUrl}/chat`, { 'x-api-key': created.body.api_key }), { status: 401 });
  });

  it("closes with 1008 the open connections of a deleted consumer (its keys go by a cascade), and no one else's", async () => {
    assert.equal((await admin(node, 'POST', '/consumers', { username: 'bob' })).status, 201);
    const bobs = await admin(node, 'POST', '/services/chat/api-keys', { name: 'bob-key', consumer: 'bob' });
    const alices = await admin(node, 'POST', '/services/chat/api-keys', { name: 'alice-stays', consumer: 'alice' });
    const bob = await connect(`${wsUrl}/chat`, { 'x-api-key': bobs.body.api_key });
    const alice = await connect(`${wsUrl}/chat`, { 'x-api-key': alices.body.api_key });
    assert.equal((await echoOnce(bob, 'bob')).toString(), 'bob');
    const code = closeCode(bob);
    assert.equal((await admin(node, 'DELETE', '/consumers/bob')).status, 204);
    assert.equal(await code, 1008);
    await assert.rejects(connect(`${wsUrl}/chat`, { 'x-api-key': bobs.body.api_key }), { status: 401 });
    assert.equal((await echoOnce(alice, 'alice still here')).toString(), 'alice still here');
    alice.close(1000);
  });

  it("closes with 1008 the open connections whose key was scoped to a deleted service, and no one else's", async () => {
    assert.equal((await admin(node, 'POST', '/services', { name: 'room', url: echo.url })).status, 201);
    assert.equal((await admin(node, 'POST', '/services/room/routes', { name: 'room', paths: ['/room'], protocols: ['ws'] })).status, 201);
    assert.equal((await admin(node, 'POST', '/routes/room/plugins', { name: 'key-auth' })).status, 201);
    const scoped = await admin(node, 'POST', '/services/room/api-keys', { name: 'room-key', consumer: 'alice' });
    const other = await admin(node, 'POST', '/services/chat/api-keys', { name: 'chat-stays', consumer: 'alice' });
    const inRoom = await connect(`${wsUrl}/room`, { 'x-api-key': scoped.body.api_key });
    const inChat = await connect(`${wsUrl}/chat`, { 'x-api-key': other.body.api_key });
    assert.equal((await echoOnce(inRoom, 'room')).toString(), 'room');
    // A service with routes cannot be deleted: its route goes first, which leaves open connections open.
    assert.equal((await admin(node, 'DELETE', '/routes/room')).status, 204);
    assert.equal((await echoOnce(inRoom, 'route gone')).toString(), 'route gone');
    const code = closeCode(inRoom);
    assert.equal((await admin(node, 'DELETE', '/services/room')).status, 204);
    assert.equal(await code, 1008);
    assert.equal((await echoOnce(inChat, 'chat still here')).toString(), 'chat still here');
    inChat.close(1000);
  });

  it('keeps a connection open when close_on_revoke is off (Kong’s handshake-only check)', async () => {
    const plugins = await admin(node, 'GET', '/routes/chat/plugins');
    const keyAuth = plugins.body.data.find((p: { name: string }) => p.name === 'key-auth');
    assert.equal((await admin(node, 'PATCH', `/plugins/${keyAuth.id}`, { config: { close_on_revoke: false } })).status, 200);
    const created = await admin(node, 'POST', '/services/chat/api-keys', { name: 'kept-open', consumer: 'alice' });
    // The Admin API answers once the change is in force on this node.
    const ws = await connect(`${wsUrl}/chat`, { 'x-api-key': created.body.api_key });
    assert.equal((await admin(node, 'DELETE', '/services/chat/api-keys/kept-open')).status, 204);
    await assert.rejects(connect(`${wsUrl}/chat`, { 'x-api-key': created.body.api_key }), { status: 401 });
    assert.equal((await echoOnce(ws, 'still open')).toString(), 'still open');
    ws.terminate();
    await admin(node, 'PATCH', `/plugins/${keyAuth.id}`, { config: { close_on_revoke: true } });
  });

  it('runs basic-auth on the handshake: 401 without or with wrong credentials, open with the right ones', async () => {
    const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });
    await assert.rejects(connect(`${wsUrl}/intranet`), { status: 401 });
    await assert.rejects(connect(`${wsUrl}/intranet`, basic('alice', 'wrong')), { status: 401 });
    const ws = await connect(`${wsUrl}/intranet`, basic('alice', 'alice-ws-password'));
    assert.equal(echo.handshakes.at(-1)!['authorization'], undefined, 'hide_credentials');
    assert.equal((await echoOnce(ws, 'basic')).toString(), 'basic');
    ws.terminate();
  });

  it('refuses hostile handshakes: bad key or version, oversized headers, a plain request to a ws route', async () => {
    const raw = async (request: string) => {
      const { connect: tcp } = await import('node:net');
      const url = new URL(node.proxyUrl);
      return new Promise<string>((resolve, reject) => {
        const socket = tcp(Number(url.port), url.hostname, () => socket.end(request));
        let answer = '';
        socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
        socket.on('close', () => resolve(answer));
        socket.on('error', reject);
      });
    };
    const head = 'GET /intranet HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n';
    assert.match(await raw(`${head}Sec-WebSocket-Key: nope\r\nSec-WebSocket-Version: 13\r\n\r\n`), /^HTTP\/1\.1 400 /);
    assert.match(
      await raw(`${head}Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n\r\n`),
      /^HTTP\/1\.1 400 [^]*sec-websocket-version: 13/i,
    );
    assert.match(
      await raw(`${head}Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`),
      /^HTTP\/1\.1 431 /,
    );
    const plain = await fetch(`${node.proxyUrl}/intranet`);
    assert.equal(plain.status, 426);
    assert.equal(((await plain.json()) as { code: string }).code, 'PC_PROXY_WEBSOCKET_REQUIRED');
  });

  it('shows open connections and bytes by route in /metrics', async () => {
    const ws = await connect(`${wsUrl}/intranet`, { authorization: `Basic ${Buffer.from('alice:alice-ws-password').toString('base64')}` });
    await echoOnce(ws, 'count me');
    const metrics = await (await fetch(`${node.adminUrl}/metrics`)).text();
    assert.match(metrics, /portcullis_websocket_connections\{route="intranet",service="chat"\} 1/);
    assert.match(metrics, /portcullis_websocket_bytes_total\{route="intranet",service="chat",direction="upstream_to_client"\} [1-9]/);
    ws.terminate();
  });

  it('drains open connections on stop, then closes them with 1001 (last: it stops the node)', async () => {
    const ws = await connect(`${wsUrl}/intranet`, { authorization: `Basic ${Buffer.from('alice:alice-ws-password').toString('base64')}` });
    const code = closeCode(ws);
    const exit = node.stop('SIGTERM');
    assert.equal(await code, 1001);
    assert.equal(await exit, 0);
  });
});
