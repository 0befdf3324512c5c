/**
 * Reading a V8 `.cpuprofile` (what `node --cpu-prof` writes): self time per function, summed over
 * every node of the call tree that is the same function (name, file, line), largest first.
 * Used by `bench/profile.ts` to say where a request's CPU goes.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface SelfTime {
  readonly name: string;
  /** File (shortened to the part after node_modules/ or the checkout) and 1-based line. */
  readonly where: string;
  readonly micros: number;
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

/**
 * The `top` functions by self time (µs) over a window of the profile: `window.seconds` long,
 * ending `window.beforeEnd` seconds before the profile does (the load, not the start-up before it
 * nor the shutdown after it); `(idle)` and `(program)` kept, they say how loaded it was.
 */
export function selfTimes(profile: CpuProfile, top: number, window = { seconds: Infinity, beforeEnd: 0 }): SelfTime[] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const totals = new Map<string, SelfTime>();
  let end = profile.samples.length;
  for (let skipped = 0; end > 0 && skipped < window.beforeEnd * 1e6;) skipped += profile.timeDeltas[--end] ?? 0;
  let first = end;
  for (let elapsed = 0; first > 0 && elapsed < window.seconds * 1e6;) elapsed += profile.timeDeltas[--first] ?? 0;
  for (let i = first; i < end; i++) {
    const frame = byNode.get(profile.samples[i]!)!.callFrame;
    const where = frame.url === '' ? '' : `${shorten(frame.url)}:${frame.lineNumber + 1}`;
    const key = `${frame.functionName}@${where}`;
    const prior = totals.get(key);
    const micros = (prior?.micros ?? 0) + (profile.timeDeltas[i] ?? 0);
    totals.set(key, { name: frame.functionName || '(anonymous)', where, micros });
  }
  return [...totals.values()].sort((a, b) => b.micros - a.micros).slice(0, top);
}

function shorten(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) return url.slice(modules + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  return dist !== -1 ? url.slice(dist + 1) : url.replace(/^file:\/\//, '');
}
