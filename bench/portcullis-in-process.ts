/**
 * Portcullis's proxy without the node around it (no store, no Admin API): the runtime state is
 * built from plain entities and served by `createProxyServer`, exactly as the node does after
 * loading its configuration. `bench/run.ts` uses it with BENCH_PORTCULLIS=in-process, to measure
 * the data plane alone. Prints `{"port": N}` once listening.
 * Usage: node --import tsx bench/portcullis-in-process.ts <upstream origin> [port]
 */
import { pino } from 'pino';
import { loadConfig } from '../src/config/load-config.js';
import { createMetrics } from '../src/observability/metrics.js';
import { BUILTIN_PLUGINS, createPluginRegistry } from '../src/plugins/registry.js';
import { buildRuntimeState } from '../src/proxy/runtime-state.js';
import { createProxyServer } from '../src/proxy/proxy-server.js';
import { createEntityFactory } from '../src/proxy/testing/entities.js';

const upstream = new URL(process.argv[2] ?? 'http://127.0.0.1:3000');
const config = { ...loadConfig({ env: {} }), proxy_listen: `127.0.0.1:${process.argv[3] ?? 0}`, proxy_listen_tls: 'off' };
const logger = pino({ level: 'warn' });

const make = createEntityFactory();
const service = make.service({ name: 'bench', host: upstream.hostname, port: Number(upstream.port) });
const state = buildRuntimeState(
  { services: [service], routes: [make.route({ name: 'bench', service: { id: service.id }, paths: ['/'] })], plugins: [], consumers: [] },
  createPluginRegistry(BUILTIN_PLUGINS),
  { logger },
);
const proxy = createProxyServer({ getState: () => state, config, logger, metrics: createMetrics() });
const address = await proxy.listen();
process.stdout.write(`${JSON.stringify({ port: address.http.port })}\n`);
process.on('SIGTERM', () => void proxy.close().then(() => process.exit(0)));
