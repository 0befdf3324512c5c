/**
 * Two Portcullis nodes on ONE database, for the concurrency suites: on PostgreSQL two nodes in
 * this process (each with its own pool, proxy and Admin API on loopback ports), on SQLite two
 * `portcullis start` processes on one file (two connections, as a node and the CLI beside it;
 * needs `npm run build`). Both nodes get a service `echo` (route `/echo`, key-auth) so keys can
 * be tried through either proxy, and a third connection reads the database state for checks.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { loadConfig } from '../../../src/config/load-config.js';
import type { Config } from '../../../src/config/schema.js';
import { createLogger } from '../../../src/observability/logger.js';
import { startNode, type RunningNode } from '../../../src/node/node.js';
import { createStore } from '../../../src/store/store.js';
import type { DialectName } from '../../../src/store/dialect.js';
import { createTestDatabase } from '../../support/databases.js';
import { admin, startCliNode, writeConfig, type CliNode } from '../../e2e/support/cli.js';
import { startEchoUpstream } from '../../e2e/support/upstream.js';
import { TEST_CIPHER } from '../../../src/store/testing/test-cipher.js';

/** Where one node listens. */
export interface NodeEnds {
  readonly adminUrl: string;
  readonly proxyUrl: string;
}

export interface TwoNodes {
  readonly dialect: DialectName;
  readonly nodes: readonly [NodeEnds, NodeEnds];
  /** A connection of the test's own to the same database, for reading the state. */
  readonly db: Kysely<any>;
  /** Both nodes have applied every committed cluster event (in-process) or been nudged to. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

const POLL_MS = 20;

export async function startTwoNodes(dialect: DialectName, apiKeys: { max_per_consumer: number }): Promise<TwoNodes> {
  const upstream = await startEchoUpstream();
  const database = await createTestDatabase(dialect);
  const stops: (() => Promise<unknown>)[] = [() => upstream.close(), () => database.drop()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    const pair = dialect === 'postgres' ? await inProcessPair(database.config, apiKeys) : await processPair(database.config.sqlite_path, apiKeys);
    stops.push(pair.close);
    const checker = createStore({ cipher: TEST_CIPHER, config: database.config });
    stops.push(() => checker.close());
    const [a] = pair.nodes;
    assert.equal((await admin(a, 'POST', '/services', { name: 'echo', url: upstream.url })).status, 201);
    assert.equal((await admin(a, 'POST', '/services/echo/routes', { name: 'echo', paths: ['/echo'] })).status, 201);
    assert.equal((await admin(a, 'POST', '/services/echo/plugins', { name: 'key-auth' })).status, 201);
    await pair.settle();
    for (const node of pair.nodes) await eventually(async () => (await proxyStatus(node)) === 401, 5000, 'the route and key-auth reach both nodes');
    return { dialect, nodes: pair.nodes, db: checker.db, settle: pair.settle, close: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

interface Pair {
  readonly nodes: readonly [NodeEnds, NodeEnds];
  settle(): Promise<void>;
  close(): Promise<void>;
}

async function inProcessPair(database: Partial<Config>, apiKeys: { max_per_consumer: number }): Promise<Pair> {
  const defaults = loadConfig({ env: {} });
  const logger = createLogger({ level: 'silent' });
  const running: RunningNode[] = [];
  try {
    for (const nodeId of ['node-a', 'node-b']) {
      const config = {
        ...defaults,
        ...database,
        node_id: nodeId,
        proxy_listen: '127.0.0.1:0',
        proxy_listen_tls: '127.0.0.1:0',
        admin_listen: '127.0.0.1:0',
        cluster_poll_interval: POLL_MS,
        api_keys: { ...defaults.api_keys, ...apiKeys },
      } as Config;
      // One after the other: both would migrate the same fresh database.
      running.push(await startNode({ config, logger }));
    }
  } catch (err) {
    for (const node of running) await node.close();
    throw err;
  }
  const ends = running.map((n) => ({ adminUrl: `http://127.0.0.1:${n.adminAddress.port}`, proxyUrl: `http://127.0.0.1:${n.proxyAddress.port}` }));
  return {
    nodes: [ends[0]!, ends[1]!],
    async settle() {
      for (const node of running) await node.bus.poll();
    },
    async close() {
      for (const node of running) await node.close();
    },
  };
}

async function processPair(sqlitePath: string, apiKeys: { max_per_consumer: number }): Promise<Pair> {
  const started: CliNode[] = [];
  try {
    for (const nodeId of ['node-a', 'node-b']) {
      const file = writeConfig(
        { sqlite_path: sqlitePath, node_id: nodeId, cluster_poll_interval: POLL_MS, api_keys: apiKeys },
        mkdtempSync(join(tmpdir(), 'portcullis-concurrency-')),
      );
      started.push(await startCliNode(file));
    }
  } catch (err) {
    for (const node of started) await node.stop();
    throw err;
  }
  return {
    nodes: [started[0]!, started[1]!],
    // Other processes read cluster_events every POLL_MS: give them a few rounds.
    settle: () => new Promise((resolve) => setTimeout(resolve, POLL_MS * 4)),
    async close() {
      for (const node of started) await node.stop();
    },
  };
}

/** The status of a request through `node`'s proxy to `/echo`, with `key` in `x-api-key`. */
export async function proxyStatus(node: NodeEnds, key?: string): Promise<number> {
  const res = await fetch(`${node.proxyUrl}/echo`, { headers: key ? { 'x-api-key': key } : {} });
  await res.arrayBuffer();
  return res.status;
}

/** Polls `check` every 10 ms for up to `ms`; true as soon as it holds, false if it never did. */
export async function holdsWithin(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const start = Date.now();
  for (;;) {
    if (await check()) return true;
    if (Date.now() - start >= ms) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function eventually(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  assert.ok(await holdsWithin(ms, check), `not true within ${ms} ms: ${what}`);
}

export { admin };
