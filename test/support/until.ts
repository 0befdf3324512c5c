/**
 * Waits for a condition with a deadline, the one way tests wait for something another process or
 * a timer brings about (never a bare sleep as an assertion). A check that throws counts as "not
 * yet"; the last error is quoted if the deadline passes.
 */
import assert from 'node:assert/strict';

export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 5000, every = 10): Promise<void> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, every));
  }
  assert.fail(`${what} within ${ms} ms${last ? ` (last error: ${(last as Error).message ?? String(last)})` : ''}`);
}
