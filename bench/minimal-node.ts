/**
 * A whole Portcullis node in the minimal proxy's process (BENCH_IN_NODE=1, the `minimal-in-node`
 * targets of `npm run bench`): started from the sources as the CLI starts it (SQLite in a temporary
 * folder, Admin API on loopback, TLS listener off), configured through its Admin API from another
 * process (curl) as `startPortcullisCli` configures the bench's node (a service to `origin`, `/`
 * and a key-auth route, a consumer and a key), and its proxy used a few times; then it idles beside
 * the minimal proxy. The minimal proxy then shares its process with everything a node runs except
 * the gateway's request path: the same Node internals and undici (whose inline caches see the
 * node's objects too), the same heap, the node's timers (heartbeat, event poll, metrics sampling).
 * With BENCH_IN_NODE_STOP=1 the node is closed once configured (its listeners, timers and database
 * gone, its modules and what they left in the heap and the inline caches kept): what the process
 * costs without the node's activity.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load-config.js';
import { startNode } from '../src/node/node.js';

/** Starts the node and configures it; resolves once its proxy answered through both routes. */
export async function startNodeBeside(origin: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-minimal-node-'));
  const config = {
    ...loadConfig({ env: {} }),
    sqlite_path: join(dir, 'portcullis.db'),
    proxy_listen: '127.0.0.1:0',
    proxy_listen_tls: 'off',
    admin_listen: '127.0.0.1:0',
    log_level: 'warn' as const,
  };
  // Logs to stderr: stdout carries the minimal proxy's port line.
  const node = await startNode({ config, env: process.env, logger: pino({ level: 'warn' }, pino.destination(2)) });
  const admin = `http://127.0.0.1:${node.adminAddress.port}`;
  const proxy = `http://127.0.0.1:${node.proxyAddress.port}`;
  // Asynchronously: the node answering is this process.
  const run = promisify(execFile);
  const curl = async (...args: string[]) => (await run('curl', ['-sS', '--fail-with-body', ...args], { encoding: 'utf8' })).stdout;
  const post = (path: string, body: unknown) => curl('-H', 'content-type: application/json', '-d', JSON.stringify(body), `${admin}${path}`);
  await post('/services', { name: 'bench', url: origin });
  await post('/services/bench/routes', { name: 'bench', paths: ['/'] });
  await post('/services/bench/routes', { name: 'keyed', paths: ['/keyed'], strip_path: true });
  await post('/routes/keyed/plugins', { name: 'key-auth' });
  await post('/consumers', { username: 'bench' });
  const key = (JSON.parse(await post('/consumers/bench/api-keys', { name: 'bench' })) as { api_key: string }).api_key;
  for (let i = 0; i < 50; i++) {
    try {
      await curl('-o', '/dev/null', `${proxy}/`);
      await curl('-o', '/dev/null', '-H', `x-api-key: ${key}`, `${proxy}/keyed`);
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100)); // the state is applied asynchronously
    }
  }
  for (let i = 0; i < 20; i++) {
    await curl('-o', '/dev/null', `${proxy}/`);
    await curl('-o', '/dev/null', '-H', `x-api-key: ${key}`, `${proxy}/keyed`);
  }
  if (process.env['BENCH_IN_NODE_STOP'] === '1') await node.close();
}
