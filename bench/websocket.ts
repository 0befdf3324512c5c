/**
 * WebSocket messages per second echoed through the gateway against the same echo server reached
 * directly, in one run (issue 13). An in-process proxy (the real `createProxyServer`, a `ws`
 * route, no plugins) in front of a `ws` echo server; `clients` connections each keep `window`
 * messages of `size` bytes in flight for `seconds`. Rounds alternate direct / gateway and the
 * medians are compared, because the machine is shared and absolute figures drift.
 *
 *   npm run bench:websocket -- [rounds=5] [seconds=3] [clients=8] [window=32] [size=256]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { createEntityFactory } from '../src/proxy/testing/entities.js';
import { startProxy } from '../src/proxy/testing/harness.js';

const [rounds = 5, seconds = 3, clients = 8, window = 32, size = 256] = process.argv.slice(2).map(Number);

const server = createServer();
const wss = new WebSocketServer({ server });
wss.on('connection', (socket) => socket.on('message', (data, binary) => socket.send(data, { binary })));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const echoPort = (server.address() as AddressInfo).port;

const make = createEntityFactory();
const service = make.service({ name: 'echo', port: echoPort });
const proxy = await startProxy(
  { services: [service], routes: [make.route({ name: 'ws', paths: ['/ws'], protocols: ['ws'], service: { id: service.id } })], consumers: [], plugins: [] },
  { websocket_idle_timeout: 0 },
);

/** Echoed messages per second over `seconds`, `clients` connections with `window` in flight each. */
async function measure(url: string): Promise<number> {
  const payload = Buffer.alloc(size, 0x61);
  const sockets = await Promise.all(
    Array.from(
      { length: clients },
      () =>
        new Promise<WebSocket>((resolve, reject) =>
          new WebSocket(url)
            .once('open', function (this: WebSocket) {
              resolve(this);
            })
            .once('error', reject),
        ),
    ),
  );
  let echoed = 0;
  let running = true;
  for (const ws of sockets) {
    ws.on('message', () => {
      echoed++;
      if (running) ws.send(payload);
    });
    for (let i = 0; i < window; i++) ws.send(payload);
  }
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  running = false;
  const rate = echoed / ((performance.now() - started) / 1000);
  for (const ws of sockets) ws.terminate();
  return rate;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const direct: number[] = [];
const gateway: number[] = [];
for (let round = 0; round < rounds; round++) {
  direct.push(await measure(`ws://127.0.0.1:${echoPort}/ws`));
  gateway.push(await measure(`ws://127.0.0.1:${proxy.port}/ws`));
  console.log(`round ${round + 1}: direct ${direct.at(-1)!.toFixed(0)} msg/s, gateway ${gateway.at(-1)!.toFixed(0)} msg/s`);
}
const d = median(direct);
const g = median(gateway);
console.log(
  JSON.stringify({
    rounds,
    seconds,
    clients,
    window,
    size,
    direct_msgs_per_s: Math.round(d),
    gateway_msgs_per_s: Math.round(g),
    gateway_to_direct: Number((g / d).toFixed(3)),
  }),
);
await proxy.close();
for (const c of wss.clients) c.terminate();
server.close();
