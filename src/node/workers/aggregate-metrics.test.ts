import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Gauge, Registry } from 'prom-client';
import { aggregateMetrics } from './aggregate-metrics.js';

/** A registry as one process of a node would hold it. */
function processRegistry(requests: number, reachable: 0 | 1, entries: number, loadedAt: number): Registry {
  const registry = new Registry();
  new Counter({ name: 'portcullis_requests_total', help: 'h', labelNames: ['status'], registers: [registry] }).inc({ status: '200' }, requests);
  new Gauge({ name: 'portcullis_datastore_reachable', help: 'h', registers: [registry] }).set(reachable);
  new Gauge({ name: 'portcullis_apikey_cache_entries', help: 'h', labelNames: ['kind'], registers: [registry] }).set({ kind: 'positive' }, entries);
  new Gauge({ name: 'portcullis_config_loaded_timestamp_seconds', help: 'h', registers: [registry] }).set(loadedAt);
  return registry;
}

const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  assert.ok(line, `no ${series} in:\n${text}`);
  return Number(line.split(' ')[1]);
};

test('sums counters and additive gauges across processes, and keeps non-additive gauges honest', async () => {
  const all = [processRegistry(5, 1, 10, 1_000), processRegistry(7, 0, 20, 900), processRegistry(0, 1, 0, 1_100)];
  const { text } = await aggregateMetrics(await Promise.all(all.map((r) => r.getMetricsAsJSON())));
  assert.equal(value(text, 'portcullis_requests_total{status="200"}'), 12);
  assert.equal(value(text, 'portcullis_apikey_cache_entries{kind="positive"}'), 30);
  // One process that cannot reach the database makes the node's answer "no", not "2 of 3".
  assert.equal(value(text, 'portcullis_datastore_reachable'), 0);
  assert.equal(value(text, 'portcullis_config_loaded_timestamp_seconds'), 900);
});
