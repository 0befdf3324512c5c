/**
 * The in-place recorders write exactly what prom-client's own `observe`/`inc` would: the same
 * `/metrics` text for the same observations, in two registries side by side (bucket edges,
 * values past the last bucket, several series, a series that existed before, a reset). If a
 * prom-client upgrade changes the record these recorders update, these tests fail.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { counterRecorder, histogramRecorder } from './fast-series.js';

const buckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

function pair() {
  const make = () => {
    const registry = new Registry();
    const histogram = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['route', 'service'], buckets, registers: [registry] });
    const counter = new Counter({ name: 'c_total', help: 'c', labelNames: ['route', 'service', 'status'], registers: [registry] });
    return { registry, histogram, counter };
  };
  return { fast: make(), slow: make() };
}

describe('fast series recorders', () => {
  const observations: [string, number[]][] = [
    ['nothing recorded: no series at all', []],
    ['one value inside a bucket', [0.003]],
    ['values exactly on bucket bounds', [0.001, 0.0025, 1, 60]],
    ['zero and tiny values', [0, 1e-9, 0.0009999]],
    ['values past the last bound (only +Inf, sum and count)', [60.0001, 1e6]],
    ['many values across the range', Array.from({ length: 200 }, (_, i) => (i * i) / 500)],
  ];
  for (const [name, values] of observations) {
    it(`writes what prom-client writes: ${name}`, async () => {
      const { fast, slow } = pair();
      const labels = { route: 'r', service: 's' };
      const observe = histogramRecorder(fast.histogram, labels);
      for (const v of values) {
        observe(v);
        slow.histogram.observe(labels, v);
      }
      assert.equal(await fast.registry.metrics(), await slow.registry.metrics());
    });
  }

  it('keeps series apart by labels, counters included', async () => {
    const { fast, slow } = pair();
    const series = [
      { route: 'a', service: 's', status: '200' },
      { route: 'a', service: 's', status: '404' },
      { route: 'b', service: '', status: '200' },
      { route: '', service: '', status: '404' },
    ];
    const recorders = series.map((labels) => counterRecorder(fast.counter, labels));
    for (let i = 0; i < 10; i++) {
      const which = (i * 7) % series.length;
      recorders[which]!();
      slow.counter.inc(series[which]!);
    }
    assert.equal(await fast.registry.metrics(), await slow.registry.metrics());
  });

  it('continues a series that already had values instead of restarting it at zero', async () => {
    const { fast, slow } = pair();
    const labels = { route: 'r', service: 's' };
    for (const metric of [fast, slow]) {
      metric.histogram.observe(labels, 0.2);
      metric.counter.inc({ ...labels, status: '200' }, 5);
    }
    histogramRecorder(fast.histogram, labels)(0.02);
    counterRecorder(fast.counter, { ...labels, status: '200' })();
    slow.histogram.observe(labels, 0.02);
    slow.counter.inc({ ...labels, status: '200' });
    assert.equal(await fast.registry.metrics(), await slow.registry.metrics());
  });

  it('records into the new series after a reset of the metric', async () => {
    const { fast, slow } = pair();
    const labels = { route: 'r', service: 's' };
    const observe = histogramRecorder(fast.histogram, labels);
    const count = counterRecorder(fast.counter, { ...labels, status: '200' });
    observe(0.5);
    count();
    fast.registry.resetMetrics();
    observe(0.004);
    count();
    slow.histogram.observe(labels, 0.004);
    slow.counter.inc({ ...labels, status: '200' });
    assert.equal(await fast.registry.metrics(), await slow.registry.metrics());
  });

  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    it(`refuses a non-finite observation (${bad}) the way prom-client does`, () => {
      const { fast } = pair();
      assert.throws(() => histogramRecorder(fast.histogram, { route: 'r', service: 's' })(bad), TypeError);
    });
  }
});
