import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics, EVENT_LOOP_SAMPLE_MS } from './metrics.js';

describe('process metrics', () => {
  it(`see a block of the event loop although its delay is sampled only every ${EVENT_LOOP_SAMPLE_MS} ms`, async () => {
    const { registry } = createMetrics();
    // All collectors run at a scrape (the lag's sets the histogram's figures).
    const value = async (name: string) => (await registry.getMetricsAsJSON()).find((m) => m.name === name)?.values[0]?.value;
    // Samples first, then a 300 ms block between two of them.
    await new Promise((resolve) => setTimeout(resolve, 3 * EVENT_LOOP_SAMPLE_MS));
    const until = performance.now() + 300;
    while (performance.now() < until) {
      // blocked
    }
    await new Promise((resolve) => setTimeout(resolve, 2 * EVENT_LOOP_SAMPLE_MS));
    const max = await value('portcullis_nodejs_eventloop_lag_max_seconds');
    assert.ok(typeof max === 'number' && max >= 0.15, `lag max ${max} s after a 300 ms block`);
    registry.clear();
  });
});
