/**
 * What the primary of a `--workers` node knows of each worker, shown at `/status`: its slot
 * (1…N, stable across replacements), process id, state, how often the slot's worker was replaced,
 * and the last event id it applied (with its proxy state rebuilt).
 */
export interface WorkerStatus {
  readonly slot: number;
  readonly pid: number | null;
  /** `starting` (forked, not serving yet), `serving`, `stopping`, or `restarting` (dead, a new one is due). */
  readonly state: 'starting' | 'serving' | 'stopping' | 'restarting';
  readonly restarts: number;
  readonly applied_through: number;
}
