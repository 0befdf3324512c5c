/**
 * Where a node is in `cluster_events`: the highest id read, and the ids skipped over ("holes").
 * Ids are taken at insert and become visible at commit, so on PostgreSQL a transaction that took
 * its id earlier may commit later; an id may also be burnt by a rollback. A read re-reads the
 * holes for HOLE_WAIT_MS, then forgets them, so a late commit is delivered and a burnt id does
 * not hold appliedThrough() back for ever.
 */
import type { Store } from '../store/store.js';
import type { ClusterEvent } from '../store/cluster-events.js';

const HOLE_WAIT_MS = 10_000;
const MAX_HOLES = 10_000;
const EVENT_BATCH = 1000;

export interface EventCursor {
  /** Sets the position (at start: the newest id, whose events the state loaded from the tables holds). */
  reset(lastId: number): void;
  /** New events (and late ones filling holes); `full` when a whole batch came, so more may wait. */
  read(): Promise<{ events: ClusterEvent[]; full: boolean }>;
  /** Every id ≤ this one was read (or given up on after HOLE_WAIT_MS). */
  appliedThrough(): number;
}

export function createEventCursor(store: Store, now: () => number): EventCursor {
  let lastId = 0;
  const holes = new Map<number, number>();
  const lowestHole = () => Math.min(...holes.keys());

  return {
    reset(id) {
      lastId = id;
      holes.clear();
    },
    async read() {
      const events = await store.events.since(lastId, EVENT_BATCH);
      const at = now();
      let expected = lastId + 1;
      const skipped: number[] = [];
      for (const e of events) {
        for (let id = expected; id < e.id && holes.size + skipped.length < MAX_HOLES; id++) skipped.push(id);
        expected = e.id + 1;
      }
      const full = events.length >= EVENT_BATCH;
      const newest = events.reduce((max, e) => Math.max(max, e.id), lastId);
      const waiting = [...holes.keys()];
      // Re-read the older holes before moving the position: a failed read loses nothing.
      const filled = waiting.length === 0 ? [] : (await store.events.since(Math.min(...waiting) - 1, EVENT_BATCH)).filter((e) => holes.has(e.id));
      lastId = newest;
      for (const id of skipped) holes.set(id, at);
      for (const e of filled) holes.delete(e.id);
      for (const [id, since] of holes) if (at - since > HOLE_WAIT_MS) holes.delete(id);
      return { events: [...filled, ...events], full };
    },
    appliedThrough: () => (holes.size === 0 ? lastId : Math.min(lastId, lowestHole() - 1)),
  };
}
