/**
 * Checks basic-auth credentials. In order: the failure limiter (a locked-out guesser costs no
 * lookup and no argon2id); the credential by username (cached, one store lookup shared by
 * concurrent requests); the attempt (username, stored hash, password) in the cache; otherwise one
 * argon2id check per distinct attempt and client address, under the node's slow-hash cap, counted
 * by the limiter while it runs. An unknown username is checked against a dummy hash, so it takes as
 * long as a known one.
 *
 * Everything is held in the shared verification cache (credentials/verification-cache.ts), by
 * keyed digests: credentials by username, right passwords (positive) and wrong passwords or
 * unknown usernames (negative). The attempt digest covers the stored hash, so a password change
 * makes every earlier answer for that credential unreachable; credential and consumer events purge
 * them as well, and the cache's epoch keeps a lookup or check that started before a purge from
 * storing its stale answer afterwards (a deleted password must not work again).
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { EntityDao } from '../../store/entity-dao.js';
import type { BasicAuthCredential } from '../../entities/basicauth-credentials.js';
import type { EventSubscriber } from '../../cluster/event-bus.js';
import type { KeyHasher } from '../../apikeys/hashing/key-hasher.js';
import { createConcurrencyLimiter } from '../../apikeys/concurrency-limiter.js';
import { createSingleFlight } from '../../apikeys/single-flight.js';
import { createVerificationCache, type CachedKeyIdentity, type KeyDigest } from '../../credentials/verification-cache.js';
import type { BasicAuthCheck, BasicAuthVerifier } from '../plugin.js';
import type { FailureLimiter, Lockout } from './failure-limiter.js';

/** A credential found by username. */
interface CredentialEntry extends CachedKeyIdentity {
  readonly kind: 'credential';
  readonly consumerId: string;
  /** The argon2id PHC string. */
  readonly hash: string;
}

/** A password verified for a credential. */
interface VerifiedEntry extends CachedKeyIdentity {
  readonly kind: 'verified';
}

type Failure = 'unknown_username' | 'wrong_password';
type CheckOutcome = 'valid' | Failure | 'overloaded' | Lockout;

export interface BasicAuthVerifierDeps {
  readonly credentials: Pick<EntityDao<BasicAuthCredential>, 'get'>;
  readonly hasher: KeyHasher;
  readonly limiter: FailureLimiter;
  readonly logger: Logger;
  readonly now?: () => number;
  /** Told of every failed check (metrics); `reason` is one of two fixed values. */
  readonly onFailure?: (reason: Failure) => void;
  /** Told of every attempt refused by the limiter (metrics). */
  readonly onThrottled?: (scope: Lockout['scope']) => void;
  /**
   * The secret of the keyed digests (32 bytes), random when absent. The workers of one node share
   * one: the limiter's subjects (digests of usernames) they pass each other must agree.
   */
  readonly digestKey?: Uint8Array | undefined;
}

export interface BasicAuthVerifierOptions {
  /** Seconds a credential, a right or a wrong password stays cached. */
  readonly ttlSeconds: number;
  /** Concurrent argon2id checks (`api_keys.slow_hash_concurrency`). */
  readonly concurrency: number;
  /** Most entries in each part of the cache. */
  readonly maxEntries?: number;
}

export function createBasicAuthVerifier(deps: BasicAuthVerifierDeps, options: BasicAuthVerifierOptions): BasicAuthVerifier & EventSubscriber {
  const size = options.maxEntries ?? 10_000;
  const digestKey = deps.digestKey;
  const cache = createVerificationCache<CredentialEntry | VerifiedEntry>(
    { now: deps.now ?? Date.now, ...(digestKey === undefined ? {} : { randomBytes: () => digestKey }) },
    { cache_ttl: options.ttlSeconds, neg_cache_ttl: options.ttlSeconds, cache_size: size, neg_cache_size: size },
  );
  const lookups = createSingleFlight<string, CredentialEntry | null>();
  const checks = createSingleFlight<string, CheckOutcome>();
  const hashLimiter = createConcurrencyLimiter({ concurrency: options.concurrency, maxQueue: options.concurrency * 16 });
  // Made at the first check of any password (known user or not, so both wait for it alike), not at
  // start: an argon2id hash costs 19 MiB and tens of ms, and most nodes never check a password.
  let dummy: ReturnType<KeyHasher['hash']> | undefined;

  const findCredential = async (username: string, subject: KeyDigest, since: number): Promise<CredentialEntry | null> => {
    const cached = cache.get(subject);
    if (cached.kind === 'hit' && cached.value.kind === 'credential') return cached.value;
    if (cached.kind === 'negative') return null;
    return lookups.run(`${since}:${subject}`, async () => {
      const found = await deps.credentials.get(username);
      // get() also takes an id: a username that looks like one must not find another credential.
      if (found === null || found.username !== username) {
        cache.setNegative(subject, { since });
        return null;
      }
      const entry: CredentialEntry = { kind: 'credential', keyId: found.id, consumerId: found.consumer.id, expiresAt: null, hash: found.password };
      cache.set(subject, entry, { since });
      return entry;
    });
  };

  /** One argon2id check of one attempt from one client address, counted by the limiter while it runs. */
  const checkPassword = async (
    credential: CredentialEntry | null,
    password: string,
    attempt: KeyDigest,
    since: number,
    subject: KeyDigest,
    clientAddress: string,
  ): Promise<CheckOutcome> => {
    const reservation = deps.limiter.reserve(subject, clientAddress);
    if ('scope' in reservation) return reservation;
    let outcome: 'success' | 'failure' | 'none' = 'none';
    try {
      const made = await (dummy ??= deps.hasher.hash(randomBytes(24).toString('hex')));
      const stored = credential ? { algorithm: 'argon2id', salt: null, hash: credential.hash } : made;
      const result = await hashLimiter.run(() => deps.hasher.verify(password, stored));
      if (result.kind === 'overloaded') return 'overloaded';
      if (credential && result.value) {
        outcome = 'success';
        cache.set(attempt, { kind: 'verified', keyId: credential.keyId, consumerId: credential.consumerId, expiresAt: null }, { since });
        return 'valid';
      }
      outcome = 'failure';
      cache.setNegative(attempt, { since });
      return credential ? 'wrong_password' : 'unknown_username';
    } finally {
      reservation.settle(outcome);
    }
  };

  const failed = (reason: Failure): BasicAuthCheck => {
    deps.onFailure?.(reason);
    return { ok: false, reason };
  };
  const throttled = (lockout: Lockout): BasicAuthCheck => {
    deps.onThrottled?.(lockout.scope);
    return { ok: false, reason: 'too_many_attempts', scope: lockout.scope, retryAfterSeconds: lockout.retryAfterSeconds };
  };

  return {
    async verify(presented, password, clientAddress) {
      // Usernames are stored NFC (the Admin API normalises them): `é` and `e` + U+0301 are one user.
      const username = presented.normalize('NFC');
      // The limiter's subject: a keyed digest, so its tables hold no username (and a bounded key).
      const subject = cache.digest(`u\0${username}`);
      const lockout = deps.limiter.check(subject, clientAddress);
      if (lockout !== null) return throttled(lockout);
      const since = cache.epoch();
      let credential: CredentialEntry | null;
      try {
        credential = await findCredential(username, subject, since);
      } catch (err) {
        // The database is down, or the password hash is under a keyring key this node lacks.
        deps.logger.warn({ code: (err as { code?: string }).code, err: (err as Error).message }, 'cannot look up a basic-auth credential');
        return { ok: false, reason: 'store_unavailable' };
      }
      const attempt = cache.digest(`p\0${subject}\0${credential?.hash ?? ''}\0${password}`);
      const known = cache.get(attempt);
      if (known.kind === 'hit' && credential !== null && known.value.keyId === credential.keyId) {
        deps.limiter.succeeded(subject, clientAddress);
        return { ok: true, credentialId: credential.keyId, consumerId: credential.consumerId };
      }
      // A repeated wrong password or unknown username answers from memory: equally fast for both.
      if (known.kind === 'negative') {
        deps.limiter.failed(subject, clientAddress);
        return failed(credential ? 'wrong_password' : 'unknown_username');
      }
      const outcome = await checks.run(`${since}:${attempt}:${clientAddress}`, () =>
        checkPassword(credential, password, attempt, since, subject, clientAddress),
      );
      if (typeof outcome !== 'string') return throttled(outcome);
      if (outcome === 'overloaded') return { ok: false, reason: 'overloaded' };
      if (outcome !== 'valid') return failed(outcome);
      return { ok: true, credentialId: credential!.keyId, consumerId: credential!.consumerId };
    },
    onEvents(events) {
      for (const event of events) {
        if (event.entity === 'basicauth_credentials') {
          // Its username entry and verified passwords; any unknown username may exist now.
          cache.deleteByKeyId(event.entity_id);
          cache.clearNegative();
        } else if (event.entity === 'consumers' && event.operation !== 'create') {
          cache.deleteByConsumerId(event.entity_id);
        }
      }
    },
    onResync() {
      cache.clear();
    },
  };
}
