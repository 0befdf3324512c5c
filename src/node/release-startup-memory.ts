/**
 * The young generation held small through start-up, and one full garbage collection once a process serves.
 *
 * bin/portcullis.js sets V8's `--semi-space-growth-factor` to 1 before it loads the CLI: start-up
 * allocates megabytes that die young, and each scavenge that found much alive doubled the young
 * generation, to 16 MB of pages that stayed resident while the node idled (V8 shrinks it only at
 * a collection that finds the allocation rate low). `releaseYoungGeneration` sets V8's default
 * factor back once the node serves (or at once for another command), so the young generation
 * grows under traffic as before. Measured (bench/results/startup-*.md): about 16 MB less resident
 * per idle process. A user's own semi-space flag (NODE_OPTIONS, node's arguments) is left alone.
 *
 * Then, a few seconds after the node serves, one full collection of the old space: start-up
 * leaves behind what did not survive it (module sources parsed, schemas compiled, migrations
 * checked), which V8 would otherwise collect only when the old space next fills. (Before the hold
 * above, this collection was also what gave back most of the young generation: ~30 MB, measured
 * before the bundle.) Where `start` is not reached through bin/ (tests, another entry point) only
 * the collection runs.
 * V8 offers no API for it but `gc()`: the flag is switched on just to fetch that function and off
 * again at once (the idiom of Jest's leak detector), so no code of ours or of a package sees it.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Set (true) by bin/portcullis.js when it held the young generation small for the start-up. */
const HELD = Symbol.for('portcullis.youngGenerationHeld');
/** V8's default `--semi-space-growth-factor`. */
const DEFAULT_GROWTH_FACTOR = 2;

/** Lets the young generation grow again (V8's default factor), if bin/portcullis.js held it. */
export function releaseYoungGeneration(): void {
  const marks = globalThis as { [HELD]?: boolean };
  if (marks[HELD] !== true) return;
  marks[HELD] = false;
  setFlagsFromString(`--semi-space-growth-factor=${DEFAULT_GROWTH_FACTOR}`);
}

/**
 * Runs one full collection `delayMs` after the call (once the node has started). V8 shrinks its
 * young generation only when a collection finds the allocation rate low, which it is not during
 * the seconds of start-up itself: a collection right at the `started` line gave nothing back.
 */
export function releaseStartupMemory(delayMs = 5000): void {
  releaseYoungGeneration();
  setTimeout(collectGarbage, delayMs).unref();
}

function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  try {
    (runInNewContext('gc') as () => void)();
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
