import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { runInNewContext } from 'node:vm';
import { releaseStartupMemory } from './release-startup-memory.js';

/** Resolves with the flags of the next forced full collection, or rejects after `ms`. */
function nextForcedMajorGc(ms: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (observer.disconnect(), reject(new Error(`no forced full collection within ${ms} ms`))), ms);
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const detail = (entry as unknown as { detail: { kind: number; flags: number } }).detail;
        if (detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR && detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) {
          clearTimeout(timer);
          observer.disconnect();
          resolve(detail.flags);
        }
      }
    });
    observer.observe({ entryTypes: ['gc'] });
  });
}

describe('releaseStartupMemory', () => {
  it('runs one forced full collection after the delay, and leaves gc() unexposed', async () => {
    const collected = nextForcedMajorGc(10_000);
    releaseStartupMemory(50);
    await collected;
    assert.equal(runInNewContext('typeof gc'), 'undefined', 'the flag is off again: no code sees gc()');
    assert.equal(typeof (globalThis as { gc?: unknown }).gc, 'undefined');
  });
});
