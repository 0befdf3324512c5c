/**
 * One full garbage collection once a process serves. Start-up allocates a great deal that does
 * not survive it (module sources parsed, schemas compiled, migrations checked), and V8 grows its
 * young generation for that to 32 MB; left alone it gives that memory back only at its first
 * collection after about two minutes of idleness. Measured (bench/results/startup-*.md): about
 * 30 MB less resident per process, for one collection of some tens of ms before traffic comes.
 * V8 offers no API for it but `gc()`: the flag is switched on just to fetch that function and off
 * again at once (the idiom of Jest's leak detector), so no code of ours or of a package sees it.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Runs one full collection `delayMs` after the call (once the node has started). V8 shrinks its
 * young generation only when a collection finds the allocation rate low, which it is not during
 * the seconds of start-up itself: a collection right at the `started` line gave nothing back.
 */
export function releaseStartupMemory(delayMs = 5000): void {
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
