/**
 * Slows password guessing. Failed attempts (wrong password, unknown username) are counted in
 * three scopes: per (username, client address) pair, per client address (IPv6 by /64, see
 * address-group.ts) and per username across all addresses. When a scope reaches its
 * `*_max_failures`, each further failure locks it for `lockout_base` seconds doubled per failure
 * over the limit, capped by the scope's `*_lockout_cap`. While a scope is locked every attempt in
 * it, even with the right password, is refused before any password hash is computed (with the
 * seconds left, for `Retry-After`); refused attempts are not counted.
 *
 * So that an attacker cannot keep a real user out: the username scope has a high limit and a
 * short cap, and a pair that authenticated within `failure_window` is exempt from the address and
 * username scopes; only its own pair counter applies to it. A success clears the pair's counter.
 * A scope's failures are forgotten `failure_window` seconds after its last failure and lockout.
 *
 * Attempts still being checked count too (`reserve`): a burst of concurrent guesses cannot get more
 * checks than the limit leaves. Each table is a TTL + LRU map of at most `max_tracked` entries,
 * keyed by what the caller passes as the subject (a digest of the username, so no username is held).
 *
 * Processes that serve the same clients (the workers of one node) share their outcomes: each
 * failure and success decided here is passed to `share`, and what the others decided comes in
 * through `applyShared`, counted as if decided here but not passed on again. So a guesser whose
 * connections are spread over N workers meets the limits once, not N times (within the moment a
 * message takes to cross; reservations in flight stay local).
 */
import { createTtlLruMap, type TtlLruMap } from '../../credentials/ttl-lru-map.js';
import { addressGroup } from './address-group.js';

/** Which counter refused an attempt (a metric label: a fixed set). */
export type LockoutScope = 'pair' | 'address' | 'username';

/** A refusal: the scope whose lock lasts longest, and the whole seconds until it ends (≥ 1). */
export interface Lockout {
  readonly scope: LockoutScope;
  readonly retryAfterSeconds: number;
}

/** An outcome decided by one process, for the others that share its limits. */
export interface SharedOutcome {
  readonly outcome: 'failure' | 'success';
  /** As passed to the limiter: a digest of the username. */
  readonly subject: string;
  readonly clientAddress: string;
}

/** An attempt being checked; settle it exactly once. */
export interface Reservation {
  /** `none`: the check did not happen (overload, error), nothing is counted. */
  settle(outcome: 'success' | 'failure' | 'none'): void;
}

export interface FailureLimiter {
  /** The lockout that applies to this attempt, or null. */
  check(subject: string, clientAddress: string): Lockout | null;
  /** Like `check`, and when allowed counts the attempt as in flight until it is settled. */
  reserve(subject: string, clientAddress: string): Lockout | Reservation;
  /** Records a failure decided without a reservation (e.g. a cached wrong password). */
  failed(subject: string, clientAddress: string): void;
  /** Records a success decided without a reservation (e.g. a cached right password). */
  succeeded(subject: string, clientAddress: string): void;
  /** Records an outcome another process decided (see `share`); it is not shared again. */
  applyShared(shared: SharedOutcome): void;
  /** Entries held in all tables (tests and metrics). */
  readonly tracked: number;
}

/** The `basic_auth` settings (seconds, counts). */
export interface FailureLimiterConfig {
  readonly failure_window: number;
  readonly lockout_base: number;
  readonly pair_max_failures: number;
  readonly pair_lockout_cap: number;
  readonly address_max_failures: number;
  readonly address_lockout_cap: number;
  readonly username_max_failures: number;
  readonly username_lockout_cap: number;
  readonly max_tracked: number;
}

interface Tally {
  failures: number;
  /** Reserved attempts not settled yet. */
  pending: number;
  /** ms since the epoch; 0 when never locked. */
  lockedUntil: number;
}

interface Scope {
  readonly name: LockoutScope;
  readonly tallies: TtlLruMap<string, Tally>;
  readonly maxFailures: number;
  readonly capMs: number;
}

export interface FailureLimiterDeps {
  /** ms since the epoch; injectable for tests. */
  readonly now?: () => number;
  /** Receives each outcome decided by this limiter, for the processes that share its limits. */
  readonly share?: (shared: SharedOutcome) => void;
}

/** Creates empty tables. */
export function createFailureLimiter(deps: FailureLimiterDeps, config: FailureLimiterConfig): FailureLimiter {
  const now = deps.now ?? Date.now;
  const share = deps.share;
  const windowMs = config.failure_window * 1000;
  const baseMs = config.lockout_base * 1000;
  const table = () => createTtlLruMap<string, Tally>({ now }, { maxSize: config.max_tracked });
  const pair: Scope = { name: 'pair', tallies: table(), maxFailures: config.pair_max_failures, capMs: config.pair_lockout_cap * 1000 };
  const address: Scope = { name: 'address', tallies: table(), maxFailures: config.address_max_failures, capMs: config.address_lockout_cap * 1000 };
  const username: Scope = { name: 'username', tallies: table(), maxFailures: config.username_max_failures, capMs: config.username_lockout_cap * 1000 };
  /** Pairs that authenticated within the window. */
  const trusted = createTtlLruMap<string, true>({ now }, { maxSize: config.max_tracked });

  const keysOf = (subject: string, clientAddress: string): [string, string, string] => {
    const group = addressGroup(clientAddress);
    return [`${subject} ${group}`, group, subject];
  };

  const blocked = (scope: Scope, tally: Tally | undefined, at: number): Lockout | null => {
    if (tally === undefined) return null;
    if (tally.lockedUntil > at) return { scope: scope.name, retryAfterSeconds: Math.ceil((tally.lockedUntil - at) / 1000) };
    // Checks in flight that would reach the limit if they failed: wait for them.
    if (tally.pending > 0 && tally.failures + tally.pending >= scope.maxFailures) return { scope: scope.name, retryAfterSeconds: 1 };
    return null;
  };

  const check = (pairKey: string, group: string, subject: string): Lockout | null => {
    const at = now();
    const own = blocked(pair, pair.tallies.get(pairKey), at);
    let wide = longer(blocked(address, address.tallies.get(group), at), blocked(username, username.tallies.get(subject), at));
    if (wide !== null && trusted.get(pairKey) !== undefined) wide = null;
    return longer(own, wide);
  };

  const tallyOf = (scope: Scope, key: string): Tally => {
    const existing = scope.tallies.get(key);
    if (existing !== undefined) return existing;
    const created: Tally = { failures: 0, pending: 0, lockedUntil: 0 };
    scope.tallies.set(key, created, now() + windowMs);
    return created;
  };

  const fail = (scope: Scope, key: string, at: number): void => {
    const tally = tallyOf(scope, key);
    tally.failures += 1;
    const over = tally.failures - scope.maxFailures;
    if (over >= 0) tally.lockedUntil = at + Math.min(scope.capMs, baseMs * 2 ** over);
    scope.tallies.set(key, tally, Math.max(at, tally.lockedUntil) + windowMs);
  };

  /** Drops a tally that counts nothing any more, unless the table already holds a newer one. */
  const forgetIfIdle = (scope: Scope, key: string, tally: Tally): void => {
    if (tally.failures === 0 && tally.pending === 0 && scope.tallies.get(key) === tally) scope.tallies.delete(key);
  };

  const recordFailure = (pairKey: string, group: string, subject: string): void => {
    const at = now();
    fail(pair, pairKey, at);
    fail(address, group, at);
    fail(username, subject, at);
  };

  const recordSuccess = (pairKey: string): void => {
    pair.tallies.delete(pairKey);
    trusted.set(pairKey, true, now() + windowMs);
  };

  return {
    check(subject, clientAddress) {
      const [pairKey, group] = keysOf(subject, clientAddress);
      return check(pairKey, group, subject);
    },
    reserve(subject, clientAddress) {
      const [pairKey, group] = keysOf(subject, clientAddress);
      const lockout = check(pairKey, group, subject);
      if (lockout !== null) return lockout;
      const held: Array<[Scope, string, Tally]> = [
        [pair, pairKey, tallyOf(pair, pairKey)],
        [address, group, tallyOf(address, group)],
        [username, subject, tallyOf(username, subject)],
      ];
      for (const [, , tally] of held) tally.pending += 1;
      let settled = false;
      return {
        settle(outcome) {
          if (settled) return;
          settled = true;
          for (const [, , tally] of held) tally.pending -= 1;
          if (outcome === 'failure') recordFailure(pairKey, group, subject);
          else if (outcome === 'success') recordSuccess(pairKey);
          for (const [scope, key, tally] of held) forgetIfIdle(scope, key, tally);
          if (outcome !== 'none') share?.({ outcome, subject, clientAddress });
        },
      };
    },
    failed(subject, clientAddress) {
      const [pairKey, group] = keysOf(subject, clientAddress);
      recordFailure(pairKey, group, subject);
      share?.({ outcome: 'failure', subject, clientAddress });
    },
    succeeded(subject, clientAddress) {
      recordSuccess(keysOf(subject, clientAddress)[0]);
      share?.({ outcome: 'success', subject, clientAddress });
    },
    applyShared({ outcome, subject, clientAddress }) {
      const [pairKey, group] = keysOf(subject, clientAddress);
      if (outcome === 'failure') recordFailure(pairKey, group, subject);
      else recordSuccess(pairKey);
    },
    get tracked() {
      return pair.tallies.size + address.tallies.size + username.tallies.size + trusted.size;
    },
  };
}

function longer(a: Lockout | null, b: Lockout | null): Lockout | null {
  if (a === null) return b;
  if (b === null) return a;
  return b.retryAfterSeconds > a.retryAfterSeconds ? b : a;
}
