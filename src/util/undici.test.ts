import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as undici from 'undici';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import http2 from 'node:http2';
import { Agent, Pool, buildConnector, http2SessionOf, request } from './undici.js';

describe('the undici parts (src/util/undici.ts)', () => {
  it("are the very objects undici's index exports (a moved file fails here, not in a node)", () => {
    assert.equal(Pool, undici.Pool);
    assert.equal(Agent, undici.Agent);
    assert.equal(buildConnector, undici.buildConnector);
    assert.equal(new Agent() instanceof undici.Dispatcher, true);
  });

  it("alone, loads neither undici's index nor fetch's WebSocket, and its dispatchers still have request, stream, pipeline, upgrade, connect", () => {
    // A fresh process: this test file loaded undici's index itself.
    const module = fileURLToPath(new URL('./undici.ts', import.meta.url));
    const script = `
      import { createRequire } from 'node:module';
      const { Pool, Agent } = await import(${JSON.stringify(module)});
      const cache = Object.keys(createRequire(import.meta.url).cache);
      const pool = new Pool('http://127.0.0.1:9');
      process.stdout.write(JSON.stringify({
        index: cache.some((f) => f.endsWith('/undici/index.js')),
        websocket: cache.some((f) => f.includes('/undici/lib/web/websocket/')),
        client: cache.some((f) => f.endsWith('/undici/lib/dispatcher/client.js')),
        methods: ['request', 'stream', 'pipeline', 'upgrade', 'connect'].map((m) => typeof pool[m] + '/' + typeof new Agent()[m]),
      }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' }));
    assert.deepEqual(out, { index: false, websocket: false, client: true, methods: Array(5).fill('function/function') });
  });

  describe('request', () => {
    let server: Server;
    let origin: string;
    const seen: { method?: string; url?: string; body: string }[] = [];

    before(async () => {
      server = createServer((req: IncomingMessage, res) => {
        let body = '';
        req.setEncoding('utf8');
        req.on('data', (chunk: string) => (body += chunk));
        req.on('end', () => {
          seen.push({ method: req.method, url: req.url, body });
          res.writeHead(201, { 'content-type': 'application/json', 'x-seen': req.headers['x-test'] ?? '' }).end(JSON.stringify({ ok: true }));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('sends the path and query of the URL, the method, headers and body; answers as undici does', async () => {
      const agent = new Agent();
      try {
        const res = await request(`${origin}/a/b?c=1&d=%20`, { method: 'POST', headers: { 'x-test': 'yes' }, body: 'hello', dispatcher: agent });
        assert.equal(res.statusCode, 201);
        assert.equal(res.headers['x-seen'], 'yes');
        assert.deepEqual(await res.body.json(), { ok: true });
        assert.deepEqual(seen.at(-1), { method: 'POST', url: '/a/b?c=1&d=%20', body: 'hello' });
      } finally {
        await agent.close();
      }
    });

    it("without a method: GET, or PUT with a body (undici's rule); without a dispatcher: undici's global one", async () => {
      await (await request(new URL(`${origin}/plain`))).body.text();
      assert.deepEqual(seen.at(-1), { method: 'GET', url: '/plain', body: '' });
      await (await request(`${origin}/put`, { body: 'x' })).body.text();
      assert.deepEqual(seen.at(-1), { method: 'PUT', url: '/put', body: 'x' });
    });

    it('refuses what undici refuses, as undici does (thrown at the call): a URL that is not http(s), or not a URL', async () => {
      const outcome = (send: () => Promise<unknown>) => {
        try {
          return send().then(
            () => 'answered',
            (err: Error) => `rejected ${err.name}: ${err.message}`,
          );
        } catch (err) {
          return `thrown ${(err as Error).name}: ${(err as Error).message}`;
        }
      };
      for (const url of ['ftp://127.0.0.1/x', 'not a url', 'file:///etc/passwd', '']) {
        const ours = await outcome(() => request(url));
        const theirs = await outcome(() => undici.request(url));
        assert.match(ours, /^thrown /, url);
        assert.equal(ours, theirs, url);
      }
    });
  });

  it("http2SessionOf finds the HTTP/2 session of a pool's connection, and none on an HTTP/1.1 one", async () => {
    const h2 = http2.createServer((_req, res) => res.end('h2'));
    const h1 = createServer((_req, res) => res.end('h1'));
    await Promise.all([h2, h1].map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))));
    const origin = (server: { address(): unknown }) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // As upstream-pool.ts builds a `grpc` service's pool (`useH2c` is not in the options' type).
    const h2c = { allowH2: true, useH2c: true, connect: buildConnector({ useH2c: true } as buildConnector.BuildOptions) };
    const h2Pool = new Pool(origin(h2), h2c);
    const h1Pool = new Pool(origin(h1));
    try {
      const found: unknown[] = [];
      for (const pool of [h2Pool, h1Pool]) {
        pool.on('connect', (_origin, targets) => found.push(http2SessionOf(targets[targets.length - 1]!)));
        const res = await pool.request({ path: '/', method: 'GET' });
        await res.body.text();
      }
      assert.equal(found.length, 2);
      assert.equal(typeof (found[0] as http2.ClientHttp2Session | undefined)?.request, 'function', 'the h2c connection has its session');
      assert.equal(found[1], undefined, 'an HTTP/1.1 connection has none');
    } finally {
      await Promise.all([h2Pool.destroy(), h1Pool.destroy()]);
      h2.close();
      await new Promise((resolve) => h1.close(resolve));
    }
  });
});
