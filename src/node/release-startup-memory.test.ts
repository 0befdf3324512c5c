import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { runInNewContext } from 'node:vm';
import { execFileSync } from 'node:child_process';
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

/**
 * In a child process (V8 flags are per process): the young generation's committed size after an
 * allocation pattern that makes V8 grow it (objects that survive a few scavenges, then die), with
 * the start-up hold of bin/portcullis.js, then after `releaseYoungGeneration`, and without a hold.
 */
function youngGenerationSizes(hold: boolean): { start: number; held: number; released: number } {
  const module = new URL('./release-startup-memory.ts', import.meta.url).href;
  const script = `
    import { setFlagsFromString, getHeapSpaceStatistics } from 'node:v8';
    const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
    const start = newSpace();
    if (${hold}) {
      setFlagsFromString('--semi-space-growth-factor=1');
      globalThis[Symbol.for('portcullis.youngGenerationHeld')] = true;
    }
    const { releaseYoungGeneration } = await import(${JSON.stringify(module)});
    const churn = () => {
      let kept = [];
      for (let i = 0; i < 400_000; i++) {
        kept.push({ i, text: 'x' + i });
        if (kept.length > 60_000) kept = [];
      }
    };
    churn();
    const held = newSpace();
    releaseYoungGeneration();
    churn();
    process.stdout.write(JSON.stringify({ start, held, released: newSpace() }));
  `;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(out) as { start: number; held: number; released: number };
}

const MB = 1024 * 1024;

describe('releaseYoungGeneration', () => {
  it('the young generation stays at its initial size while held, and grows again once released', () => {
    const { start, held, released } = youngGenerationSizes(true);
    assert.ok(held <= start, `held: ${held} bytes committed, ${start} before`);
    assert.ok(released >= held + 2 * MB, `released: ${released} bytes committed, ${held} while held`);
  });

  it('without a hold (a test, another entry point) the same allocations grow it', () => {
    const { start, held } = youngGenerationSizes(false);
    assert.ok(held >= start + 2 * MB, `not held: ${held} bytes committed, ${start} before`);
  });
});
