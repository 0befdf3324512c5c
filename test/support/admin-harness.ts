/**
 * Test support for the Admin API tests: a migrated store on the given database, an admin server
 * over it (not listening: requests go through `app.inject`), and a `call` helper returning the
 * status, headers and parsed JSON. Used only by `*.test.ts` beside it; it lives here because it
 * needs nothing from `test/` but a database config.
 */
import type { FastifyInstance } from 'fastify';
import type { OutgoingHttpHeaders } from 'node:http';
import type { Config } from '../../src/config/schema.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger, type Logger } from '../../src/observability/logger.js';
import type { ProxyMetrics } from '../../src/observability/metrics.js';
import { createStore, type DatabaseConfig, type Store } from '../../src/store/store.js';
import { createAdminServer, type AdminRoutes, type AdminServer, type AdminServerDeps } from '../../src/admin/admin-server.js';
import { TEST_CIPHER } from '../../src/store/testing/test-cipher.js';

/** How to build the server under test. */
export interface HarnessOptions {
  readonly config?: Partial<Config>;
  readonly ready?: boolean;
  readonly metrics?: ProxyMetrics;
  readonly extraRoutes?: readonly AdminRoutes[];
  /** Defaults to a silent logger. */
  readonly logger?: Logger;
  /** What `admin_listen_tls` serves without `admin_tls_cert`/`admin_tls_key`. */
  readonly defaultCertificate?: { readonly cert: string; readonly key: string };
  /** Readiness inputs a node passes (the status endpoints' tests vary them). */
  readonly status?: Pick<AdminServerDeps, 'eventHealth' | 'keyringProblem' | 'keyringState'>;
}

/** One response, parsed. */
export interface CallResult {
  readonly status: number;
  readonly headers: OutgoingHttpHeaders;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  readonly body: any;
  readonly text: string;
}

/** A store and an admin server over it, for one test file. */
export interface AdminHarness {
  readonly app: FastifyInstance;
  readonly server: AdminServer;
  readonly store: Store;
  setReady(ready: boolean): void;
  /** Sends a request; an object body is sent as JSON unless `content-type` says otherwise. */
  call(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<CallResult>;
  close(): Promise<void>;
}

/** Plugin names the harness's prepare hook accepts; any other name is 400 like an uninstalled plugin. */
export const HARNESS_PLUGINS = ['key-auth', 'request-termination'] as const;

/** Builds a migrated store on `database` and an admin server over it; `close()` closes both. */
export async function createAdminHarness(database: { readonly config: DatabaseConfig }, options: HarnessOptions = {}): Promise<AdminHarness> {
  const store = createStore({
    cipher: TEST_CIPHER,
    config: database.config,
    nodeId: 'node-test',
    hooks: {
      plugins: (entity) => {
        const errors = [];
        if (!(HARNESS_PLUGINS as readonly unknown[]).includes(entity['name'])) errors.push({ path: 'name', message: 'is not an installed plugin' });
        const status = (entity['config'] as Record<string, unknown> | null)?.['status_code'];
        if (status !== undefined && (typeof status !== 'number' || status < 100 || status > 599)) {
          errors.push({ path: 'config.status_code', message: 'must be an integer between 100 and 599' });
        }
        return { entity, errors };
      },
    },
  });
  const migrated = await store.migrate();
  if (migrated.error) throw migrated.error;
  let ready = options.ready ?? true;
  const config: Config = { ...loadConfig({ env: {} }), ...options.config };
  const server = createAdminServer({
    store,
    config,
    logger: options.logger ?? createLogger({ level: 'silent' }),
    metrics: options.metrics,
    isReady: () => ready,
    ...(options.extraRoutes ? { extraRoutes: options.extraRoutes } : {}),
    ...(options.defaultCertificate ? { defaultCertificate: options.defaultCertificate } : {}),
    ...options.status,
  });
  return {
    app: server.app,
    server,
    store,
    setReady: (value) => {
      ready = value;
    },
    async call(method, url, body, headers = {}) {
      const hasType = Object.keys(headers).some((h) => h.toLowerCase() === 'content-type');
      const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
      const res = await server.app.inject({
        method: method as 'GET',
        url,
        headers: { ...(payload !== undefined && !hasType ? { 'content-type': 'application/json' } : {}), ...headers },
        ...(payload !== undefined ? { payload } : {}),
      });
      let parsed: unknown = res.body;
      try {
        parsed = res.body ? JSON.parse(res.body) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.statusCode, headers: res.headers, body: parsed, text: res.body };
    },
    async close() {
      await server.close();
      await store.close();
    },
  };
}
