/**
 * A node started in this process (startNode, real HTTP on loopback) on a fresh test database, its
 * log lines captured, with a `call` helper for its Admin API and a `proxy` helper for its proxy.
 */
import type { Config } from '../../src/config/schema.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/observability/logger.js';
import { startNode, type NodeOptions, type RunningNode } from '../../src/node/node.js';
import type { DialectName } from '../../src/store/dialect.js';
import { createTestDatabase, type TestDatabase } from './databases.js';

type Json = Record<string, any>;

export interface TestNode {
  readonly node: RunningNode;
  readonly database: TestDatabase;
  /** Every log line, parsed. */
  readonly logs: Json[];
  call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json; text: string }>;
  proxy(path: string, init?: RequestInit): Promise<Response>;
  /** Stops the node and drops its database. */
  close(): Promise<void>;
}

export interface TestNodeOptions extends Omit<NodeOptions, 'config' | 'logger'> {
  readonly config?: Partial<Config>;
  readonly logLevel?: 'debug' | 'info';
}

export async function startTestNode(dialect: DialectName, options: TestNodeOptions = {}): Promise<TestNode> {
  const database = await createTestDatabase(dialect);
  const logs: Json[] = [];
  const logger = createLogger({ level: options.logLevel ?? 'info', destination: { write: (line: string) => void logs.push(JSON.parse(line)) } });
  const { config, logLevel: _level, ...rest } = options;
  const node = await startNode({
    ...rest,
    config: {
      ...loadConfig({ env: {} }),
      ...database.config,
      proxy_listen: '127.0.0.1:0',
      proxy_listen_tls: '127.0.0.1:0',
      admin_listen: '127.0.0.1:0',
      cluster_poll_interval: 50,
      ...config,
    },
    logger,
  });
  const admin = `http://127.0.0.1:${node.adminAddress.port}`;
  return {
    node,
    database,
    logs,
    async call(method, path, body) {
      const res = await fetch(`${admin}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      const json = (res.headers.get('content-type') ?? '').includes('json');
      return { status: res.status, body: json && text ? JSON.parse(text) : {}, text };
    },
    proxy: (path, init) => fetch(`http://127.0.0.1:${node.proxyAddress.port}${path}`, init),
    async close() {
      await node.close();
      await database.drop();
    },
  };
}
