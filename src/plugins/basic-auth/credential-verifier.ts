/**
 * Checks basic-auth credentials. Credentials are found by username (cached, and shared by
 * concurrent requests); passwords are checked with argon2id under a concurrency cap; an unknown
 * username is checked against a dummy hash so the answer takes as long as for a known one. A
 * successful check is remembered under a keyed digest of (credential, password) for a short
 * TTL, so a client sending the same credentials does not pay argon2id on every request.
 * Credential and consumer changes (cluster events) drop the cached entries.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Store } from '../../store/store.js';
import type { EventSubscriber } from '../../cluster/event-bus.js';
import type { KeyHasher } from '../../apikeys/hashing/key-hasher.js';
import { createConcurrencyLimiter } from '../../apikeys/concurrency-limiter.js';
import { createSingleFlight } from '../../apikeys/single-flight.js';
import type { BasicAuthVerifier } from '../plugin.js';

interface CredentialEntry {
  readonly id: string;
  readonly consumerId: string;
  readonly hash: string;
}

export interface BasicAuthVerifierOptions {
  readonly ttlSeconds: number;
  readonly concurrency: number;
  readonly maxEntries?: number;
}

export function createBasicAuthVerifier(
  deps: { store: Store; hasher: KeyHasher; logger: Logger; now?: () => number },
  options: BasicAuthVerifierOptions,
): BasicAuthVerifier & EventSubscriber {
  const now = deps.now ?? Date.now;
  const max = options.maxEntries ?? 10_000;
  const byUsername = new Map<string, { entry: CredentialEntry | null; until: number }>();
  const verified = new Map<string, { credentialId: string; until: number }>();
  const digestKey = randomBytes(32);
  const flights = createSingleFlight<string, CredentialEntry | null>();
  const limiter = createConcurrencyLimiter({ concurrency: options.concurrency, maxQueue: options.concurrency * 16 });
  const dummy = deps.hasher.hash(randomBytes(24).toString('hex'));

  const remember = <V>(map: Map<string, V>, key: string, value: V) => {
    if (map.size >= max) map.delete(map.keys().next().value as string);
    map.set(key, value);
  };

  const findCredential = async (username: string): Promise<CredentialEntry | null> => {
    const cached = byUsername.get(username);
    if (cached && cached.until > now()) return cached.entry;
    return flights.run(username, async () => {
      const found = await deps.store.basicAuthCredentials.get(username);
      const entry = found && found.username === username ? { id: found.id, consumerId: found.consumer.id, hash: found.password } : null;
      remember(byUsername, username, { entry, until: now() + options.ttlSeconds * 1000 });
      return entry;
    });
  };

  return {
    async verify(username, password) {
      let credential: CredentialEntry | null;
      try {
        credential = await findCredential(username);
      } catch (err) {
        deps.logger.warn({ err: (err as Error).message }, 'cannot look up a basic-auth credential: the database is unavailable');
        return { ok: false, reason: 'store_unavailable' };
      }
      const digest = createHmac('sha256', digestKey)
        .update(`${credential?.id ?? ''}\0${password}`)
        .digest('base64');
      const hit = credential ? verified.get(digest) : undefined;
      if (hit && hit.until > now() && hit.credentialId === credential!.id)
        return { ok: true, credentialId: credential!.id, consumerId: credential!.consumerId };
      const stored = credential ? { algorithm: 'argon2id', salt: null, hash: credential.hash } : await dummy;
      const result = await limiter.run(() => deps.hasher.verify(password, stored));
      if (result.kind === 'overloaded') return { ok: false, reason: 'overloaded' };
      if (!credential) return { ok: false, reason: 'unknown_username' };
      if (!result.value) return { ok: false, reason: 'wrong_password' };
      remember(verified, digest, { credentialId: credential.id, until: now() + options.ttlSeconds * 1000 });
      return { ok: true, credentialId: credential.id, consumerId: credential.consumerId };
    },
    onEvents(events) {
      if (events.some((e) => e.entity === 'basicauth_credentials' || (e.entity === 'consumers' && e.operation !== 'create'))) {
        byUsername.clear();
        verified.clear();
      }
    },
    onResync() {
      byUsername.clear();
      verified.clear();
    },
  };
}
