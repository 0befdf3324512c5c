import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRestartBackoff } from './restart-backoff.js';

test('replaces a worker that served for a while at once, and backs off doubling on quick deaths up to the ceiling', () => {
  const backoff = createRestartBackoff({ stableAfterMs: 10_000, initialDelayMs: 100, maxDelayMs: 1_000 });
  assert.equal(backoff.nextDelay(60_000), 0);
  assert.deepEqual(
    [1, 50, 9_999, 0, 10, 10, 10].map((lived) => backoff.nextDelay(lived)),
    [100, 200, 400, 800, 1_000, 1_000, 1_000],
  );
});

test('a worker that lives past the stable time resets the back-off', () => {
  const backoff = createRestartBackoff({ stableAfterMs: 1_000, initialDelayMs: 50, maxDelayMs: 10_000 });
  assert.deepEqual(
    [10, 10, 10].map((l) => backoff.nextDelay(l)),
    [50, 100, 200],
  );
  assert.equal(backoff.nextDelay(1_000), 0);
  assert.equal(backoff.nextDelay(10), 50);
});
