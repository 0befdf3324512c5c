/**
 * `portcullis start --workers 2` end to end: a real primary and two real workers on the shared
 * proxy port (SQLite). Every proxied request below opens its own connection, so the kernel /
 * primary spreads them over both workers. Proves: both serve, a write through the Admin API is
 * seen by every worker before it is answered (a revoke refuses at once on every connection), a
 * new keyring key reaches the workers over IPC (a key hashed under it verifies), a killed worker
 * is replaced without the keyring file, `/metrics` sums every worker, basic-auth failures count
 * over both workers, SIGTERM drains them all.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { existsSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { admin, runCli, startCliNode, writeConfig, type CliNode } from './support/cli.js';
import { createServer } from 'node:net';
import { execFileSync } from 'node:child_process';
import { startEchoUpstream, type EchoUpstream } from './support/upstream.js';
import { until } from '../support/until.js';

/** Status of a GET on a connection of its own (no keep-alive: each may land on another worker). */
function get(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { ...headers, connection: 'close' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    // A connection the primary handed to a worker at the moment it was killed is lost (node:cluster).
    req.setTimeout(5000, () => req.destroy(new Error(`no answer from ${url} within 5 s`)));
    req.end();
  });
}

const statuses = async (url: string, n: number, headers: Record<string, string> = {}) => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(await get(url, headers));
  return out;
};

interface WorkerView {
  slot: number;
  pid: number | null;
  state: string;
  restarts: number;
}

describe('portcullis start --workers 2', () => {
  let upstream: EchoUpstream;
  let slow: EchoUpstream;
  let node: CliNode;
  let configFile: string;
  const workers = async (): Promise<WorkerView[]> => (await admin(node, 'GET', '/status')).body.workers;

  before(async () => {
    upstream = await startEchoUpstream();
    slow = await startEchoUpstream({ delayMs: 1500 });
    configFile = writeConfig({ proxy_listen_tls: 'off', shutdown_timeout: 5000, basic_auth: { lockout_base: 60, pair_max_failures: 3 } });
    node = await startCliNode(configFile, { PORTCULLIS_WORKERS: '2' });
    await admin(node, 'POST', '/services', { name: 'echo', url: upstream.url });
    await admin(node, 'POST', '/services/echo/routes', { name: 'open', paths: ['/open'] });
    await admin(node, 'POST', '/services/echo/routes', { name: 'keyed', paths: ['/keyed'] });
    await admin(node, 'POST', '/routes/keyed/plugins', { name: 'key-auth' });
    await admin(node, 'POST', '/consumers', { username: 'alice' });
    await admin(node, 'POST', '/services/echo/routes', { name: 'guarded', paths: ['/guarded'] });
    await admin(node, 'POST', '/routes/guarded/plugins', { name: 'basic-auth' });
    await admin(node, 'POST', '/consumers', { username: 'bob' });
    await admin(node, 'POST', '/consumers/bob/basic-auth', { username: 'bob', password: 'bob-password' });
    await admin(node, 'POST', '/services', { name: 'slow', url: slow.url });
    await admin(node, 'POST', '/services/slow/routes', { name: 'slow', paths: ['/slow'] });
  });

  after(async () => {
    await node?.stop('SIGKILL');
    await upstream?.close();
    await slow?.close();
  });

  it('runs a primary with the Admin API and two serving workers, each its own process', async () => {
    const list = await workers();
    assert.deepEqual(
      list.map((w) => [w.slot, w.state, w.restarts]),
      [
        [1, 'serving', 0],
        [2, 'serving', 0],
      ],
    );
    const pids = list.map((w) => w.pid);
    assert.equal(new Set([...pids, node.process.pid]).size, 3, `pids ${pids.join(', ')} and primary ${node.process.pid}`);
    assert.equal((await admin(node, 'GET', '/status/ready')).status, 200);
    const nodes = (await admin(node, 'GET', '/clustering/nodes')).body.data as { pid: number }[];
    assert.deepEqual(nodes.map((n) => n.pid).sort(), [...pids, node.process.pid].sort(), 'each process applies events and registers');
  });

  it('serves a route created a moment ago on every connection, and refuses a revoked key on every connection at once', async () => {
    await admin(node, 'POST', '/services/echo/routes', { name: 'fresh', paths: ['/fresh'] });
    assert.deepEqual(new Set(await statuses(`${node.proxyUrl}/fresh`, 12)), new Set([200]));
    const { body } = await admin(node, 'POST', '/consumers/alice/api-keys', { name: 'k1' });
    const headers = { 'x-api-key': body.api_key as string };
    assert.deepEqual(new Set(await statuses(`${node.proxyUrl}/keyed`, 12, headers)), new Set([200]));
    assert.equal((await admin(node, 'DELETE', '/consumers/alice/api-keys/k1')).status, 204);
    assert.deepEqual(new Set(await statuses(`${node.proxyUrl}/keyed`, 12, headers)), new Set([401]));
  });

  it('counts basic-auth failures over both workers: a guesser whose connections are spread over them is locked after the limit, on every connection', async () => {
    const as = (password: string) => ({ authorization: `Basic ${Buffer.from(`bob:${password}`).toString('base64')}` });
    assert.deepEqual(await statuses(`${node.proxyUrl}/guarded`, 1, as('bob-password')), [200]);
    // pair_max_failures is 3: with counts of their own, the two workers would allow 3 each.
    assert.deepEqual(await statuses(`${node.proxyUrl}/guarded`, 3, as('guess')), [401, 401, 401]);
    // The third failure crosses to the other worker through the primary: a moment.
    await new Promise((resolve) => setTimeout(resolve, 300));
    // Even the right password is refused now, on every connection (either worker), for lockout_base.
    assert.deepEqual(await statuses(`${node.proxyUrl}/guarded`, 6, as('bob-password')), [429, 429, 429, 429, 429, 429]);
  });

  it('hands a newly generated and activated keyring key to every worker over IPC', async () => {
    const generated = await admin(node, 'POST', '/keyring/generate');
    assert.equal(generated.status, 200);
    assert.equal((await admin(node, 'POST', '/keyring/activate', { key: generated.body.id })).status, 204);
    // A key created now is stored under the new keyring key: a worker without it could not verify it.
    const { body } = await admin(node, 'POST', '/consumers/alice/api-keys', { name: 'k2' });
    assert.deepEqual(new Set(await statuses(`${node.proxyUrl}/keyed`, 12, { 'x-api-key': body.api_key as string })), new Set([200]));
  });

  it('replaces a killed worker, with the keyring from the primary and not from the key file', async () => {
    const [first] = await workers();
    // The replacement cannot read the keyring file: it must get the keys from the primary.
    const blob = join(dirname(configFile), 'data', 'keyring.blob');
    assert.ok(existsSync(blob), `no keyring file at ${blob}`);
    renameSync(blob, `${blob}.away`);
    try {
      process.kill(first!.pid!, 'SIGKILL');
      // Once the primary saw the death, new connections go to the other worker until the replacement serves.
      await until('the primary saw the worker die', async () => (await workers())[0]!.pid !== first!.pid, 20_000, 20);
      assert.deepEqual(new Set(await statuses(`${node.proxyUrl}/open`, 6)), new Set([200]));
      await until(
        'the replacement worker serves',
        async () => {
          const [w] = await workers();
          return w!.state === 'serving' && w!.pid !== first!.pid && w!.restarts === 1;
        },
        20_000,
        100,
      );
      const { body } = await admin(node, 'POST', '/consumers/alice/api-keys', { name: 'k3' });
      assert.deepEqual(new Set(await statuses(`${node.proxyUrl}/keyed`, 12, { 'x-api-key': body.api_key as string })), new Set([200]));
      assert.ok(node.logs.some((l) => l.includes('worker died: replacing it')));
    } finally {
      renameSync(`${blob}.away`, blob);
    }
  });

  it('aggregates /metrics over every worker: the proxied requests counted equal the requests sent', async () => {
    const count = async () => {
      const text = (await fetch(`${node.adminUrl}/metrics`).then((r) => r.text())) as string;
      return text
        .split('\n')
        .filter((l) => l.startsWith('portcullis_http_requests_total{') && l.includes('route="open"'))
        .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    };
    const before = await count();
    await statuses(`${node.proxyUrl}/open`, 10);
    assert.equal((await count()) - before, 10);
  });

  it('drains every worker on SIGTERM: an in-flight request completes, then the node exits 0', async () => {
    const pids = (await workers()).map((w) => w.pid!);
    const inFlight = get(`${node.proxyUrl}/slow`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exited = node.stop('SIGTERM');
    assert.equal(await inFlight, 200);
    assert.equal(await exited, 0);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `worker ${pid} still runs`);
  });
});

describe('portcullis start --workers 2 when the workers cannot serve', () => {
  it("exits 3 with the workers' reason (the proxy port is taken) and leaves no worker behind", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      const configFile = writeConfig({ proxy_listen: `127.0.0.1:${port}`, proxy_listen_tls: 'off' });
      const result = await runCli(['start', '--config', configFile], { PORTCULLIS_WORKERS: '2' });
      assert.equal(result.code, 3, result.stderr);
      assert.match(result.stderr, /could not start: .*EADDRINUSE/);
      const left = (() => {
        try {
          return execFileSync('pgrep', ['-f', configFile], { encoding: 'utf8' }).trim();
        } catch {
          return ''; // pgrep exits 1 when nothing matches
        }
      })();
      assert.equal(left, '', `processes left: ${left}`);
    } finally {
      taken.close();
    }
  });
});
