/**
 * The verifier: parse → issuer → cache → store (or remote issuer), as DESIGN §1 and §3.1 say.
 * A value that fails the format or names an unknown issuer is refused before any lookup;
 * concurrent requests for one uncached key share one lookup; slow hashes run under a
 * concurrency cap; verified keys are cached by a keyed digest, unknown ones in a bounded
 * negative cache. Purges come from cluster events (see cache-invalidator.ts).
 */
import type { Logger } from 'pino';
import type { ApiKeysConfig } from '../../config/schema.js';
import type { ApiKeyDao } from '../../store/api-key-dao.js';
import { MAX_PRESENTED_KEY_LENGTH, parseApiKey } from '../key-format.js';
import { sha256Hex } from '../hashing/sha256-hex.js';
import { constantTimeEqual } from '../hashing/constant-time-equal.js';
import type { KeyHashers } from '../hashing/key-hashers.js';
import { createVerificationCache, type KeyDigest, type VerificationCache } from '../../credentials/verification-cache.js';
import { createSingleFlight } from '../single-flight.js';
import { createConcurrencyLimiter } from '../concurrency-limiter.js';
import type { IssuerDirectory } from '../lifecycle/issuers.js';
import { DIGEST_ALGORITHM, EXTERNAL_ISSUER } from '../lifecycle/key-material.js';
import type { ApiKeySecret } from '../../entities/api-keys.js';
import { askRemoteIssuer } from './remote-issuer-client.js';
import { createStringInterner } from './string-interner.js';
import { verifiedKeyOf } from './verified-key.js';
import type { VerifiedKey, VerifyFailure, VerifyResult, VerifyScope } from './verify-result.js';

export interface ApiKeyVerifierDeps {
  readonly dao: ApiKeyDao;
  readonly hashers: KeyHashers;
  readonly issuers: IssuerDirectory;
  readonly logger: Logger;
  /** Resolves a remote issuer's answer naming a consumer (username, custom_id or id) to its id. */
  readonly findConsumerId: (ref: string) => Promise<string | null>;
  /**
   * A remote issuer's bearer token, when it comes from a vault reference: `fresh` fetches it again
   * (the issuer answered 401). Issuers without one use the token in their config.
   */
  readonly remoteToken?: (issuer: string, fresh: boolean) => Promise<string> | null;
  readonly now?: () => number;
  /** Called with the row id of each successful verification (batched last_used_at). */
  readonly onUsed?: (keyId: string) => void;
  /** Called after each call to a remote issuer, with how long it took and what it answered (metrics). */
  readonly onRemoteCall?: (issuer: string, seconds: number, outcome: 'valid' | 'unknown' | 'unavailable') => void;
}

export interface ApiKeyVerifier {
  verify(presented: string, scope: VerifyScope): Promise<VerifyResult>;
  /**
   * The same answer without waiting, when it needs no lookup (a bad format, an unknown issuer, a
   * cached key); null when `verify` must look the key up. The proxy's hot path for cached keys.
   */
  verifyCached(presented: string, scope: VerifyScope): VerifyResult | null;
  readonly cache: VerificationCache<VerifiedKey>;
  /** bcrypt/argon2id verifications running and waiting (`api_keys.slow_hash_concurrency`). */
  readonly slowHash: { readonly active: number; readonly queued: number };
}

type Lookup =
  | { kind: 'found'; key: VerifiedKey }
  | { kind: 'absent'; status: VerifyFailure; keyId?: string; ttlSeconds?: number }
  | { kind: 'transient'; status: VerifyFailure };

const SLOW = new Set(['bcrypt', 'argon2id']);
/** Distinct owner ids and issuer names shared by cached keys (see string-interner.ts). */
export const INTERNED_STRINGS = 10_000;

/** A presented key that passed the checks needing no lookup. */
interface Pending {
  readonly digest: KeyDigest;
  readonly issuerName: string;
  readonly type: 'local' | 'push' | 'remote' | 'external';
  readonly keyId: string;
  /** The store lookup of the key (computed only on a cache miss). */
  lookup(): string;
}

export function createApiKeyVerifier(deps: ApiKeyVerifierDeps, config: ApiKeysConfig): ApiKeyVerifier {
  const now = deps.now ?? Date.now;
  const cache = createVerificationCache<VerifiedKey>({ now }, config);
  // Keyed by epoch and digest: a request made after a purge starts its own lookup instead of
  // sharing one that may have read the key before it was revoked.
  const flights = createSingleFlight<string, Lookup>();
  // Owner ids and issuer names repeat across cached keys: one copy each (see string-interner.ts).
  const intern = createStringInterner(INTERNED_STRINGS);
  const limiter = createConcurrencyLimiter({ concurrency: config.slow_hash_concurrency, maxQueue: config.slow_hash_concurrency * 4 });

  const checkSecret = async (presented: string, secret: ApiKeySecret): Promise<boolean | 'overloaded'> => {
    if (secret.algorithm === DIGEST_ALGORITHM) return constantTimeEqual(Buffer.from(sha256Hex(presented)), Buffer.from(secret.hash));
    const hasher = deps.hashers.hasherFor(secret.algorithm);
    if (!hasher) return false;
    if (!SLOW.has(secret.algorithm)) return hasher.verify(presented, secret);
    const result = await limiter.run(() => hasher.verify(presented, secret));
    return result.kind === 'overloaded' ? 'overloaded' : result.value;
  };

  const lookupStored = async (presented: string, lookup: string): Promise<Lookup> => {
    const found = await deps.dao.findByLookup(lookup);
    if (!found) return { kind: 'absent', status: 'not_found' };
    const { record, secret, isPrevious } = found;
    const nowSec = Math.floor(now() / 1000);
    if (record.status === 'revoked') return { kind: 'absent', status: 'revoked', keyId: record.key_id };
    if (isPrevious && record.previous!.valid_until <= nowSec) return { kind: 'absent', status: 'not_found', keyId: record.key_id };
    const ok = await checkSecret(presented, secret);
    if (ok === 'overloaded') return { kind: 'transient', status: 'overloaded' };
    if (!ok) return { kind: 'absent', status: 'not_found', keyId: record.key_id };
    if (secret.algorithm !== DIGEST_ALGORITHM && deps.hashers.needsRehash(secret)) {
      deps.hashers.current
        .hash(presented)
        .then((stored) => deps.dao.rehash(record.id, isPrevious, stored))
        .catch((err: unknown) => deps.logger.warn({ key_id: record.key_id, err: (err as Error).message }, 'could not re-hash an API key'));
    }
    return { kind: 'found', key: verifiedKeyOf(record, isPrevious, intern) };
  };

  const lookupRemote = async (presented: string, issuerName: string, keyId: string): Promise<Lookup> => {
    const issuer = deps.issuers.byName(issuerName);
    if (!issuer || issuer.type !== 'remote') return { kind: 'absent', status: 'unknown_issuer' };
    const fromVault = deps.remoteToken?.(issuer.name, false) ?? null;
    const token = fromVault ? await fromVault.catch(() => issuer.token) : issuer.token;
    const ask = async (bearer: string | undefined) => {
      const started = performance.now();
      const result = await askRemoteIssuer(issuer, presented, bearer);
      deps.onRemoteCall?.(issuer.name, (performance.now() - started) / 1000, result.kind);
      return result;
    };
    let answer = await ask(token);
    if (answer.kind === 'unknown' && answer.refused && fromVault) {
      // Rotation on failure: the issuer may have refused our token, not the key. Fetch the token
      // again (single flight in the resolver) and ask once more if it changed; that answer stands.
      const fresh = await deps.remoteToken!(issuer.name, true)?.catch(() => token);
      if (fresh !== undefined && fresh !== token) {
        deps.logger.warn({ issuer: issuer.name }, 'remote issuer refused its token: asked again with the token fetched anew');
        answer = await ask(fresh);
      }
    }
    if (answer.kind === 'unavailable') {
      deps.logger.warn({ issuer: issuer.name, key_id: keyId, reason: answer.reason }, 'remote issuer unavailable');
      return { kind: 'transient', status: 'issuer_unavailable' };
    }
    if (answer.kind === 'unknown') return { kind: 'absent', status: 'not_found', keyId, ttlSeconds: issuer.neg_cache_ttl };
    const consumerId = answer.consumer ? await deps.findConsumerId(answer.consumer) : null;
    return {
      kind: 'found',
      key: { keyId, stored: false, consumerId, serviceId: null, issuer: issuer.name, expiresAt: answer.expiresAt },
    };
  };

  // The database is down, or the stored hash is under a keyring key this node lacks: the request
  // cannot be checked (503, never cached), which is not the key's fault.
  const storeFailure = (err: unknown): Lookup => {
    deps.logger.warn({ code: (err as { code?: string }).code, err: (err as Error).message }, 'cannot look up an API key');
    return { kind: 'transient', status: 'store_unavailable' };
  };

  const inScope = (key: VerifiedKey, scope: VerifyScope): VerifyFailure | null => {
    if (scope.issuers && !scope.issuers.includes(key.issuer)) return 'issuer_not_accepted';
    if (key.serviceId !== null && key.serviceId !== scope.serviceId) return 'out_of_scope';
    return null;
  };

  /** Format, issuer and scope checks that need no lookup; a result when they already decide. */
  const precheck = (presented: string, digest: KeyDigest, scope: VerifyScope): VerifyResult | Pending => {
    const parsed = parseApiKey(presented);
    if (parsed.kind === 'malformed') return { status: 'malformed' };
    let issuerName = EXTERNAL_ISSUER;
    let type: Pending['type'] = 'external';
    if (parsed.kind === 'portcullis') {
      const issuer = deps.issuers.byPrefix(parsed.prefix);
      if (!issuer) return { status: 'unknown_issuer', keyId: parsed.id };
      issuerName = issuer.name;
      type = issuer.type;
    }
    const keyId = parsed.kind === 'portcullis' ? parsed.id : '';
    if (scope.issuers && !scope.issuers.includes(issuerName)) return { status: 'issuer_not_accepted', ...(keyId ? { keyId } : {}) };
    return {
      digest,
      issuerName,
      type,
      keyId,
      lookup: () => (type === 'local' ? `${presented.slice(0, presented.indexOf('_'))}_${keyId}` : `sha256:${sha256Hex(presented)}`),
    };
  };

  /**
   * The answer from memory, before any parsing: only keys that passed the format and issuer
   * checks are ever cached, so a hit needs neither again (the scope is checked on the entry).
   */
  const fromCache = (digest: KeyDigest, scope: VerifyScope): VerifyResult | null => {
    const cached = cache.get(digest);
    if (cached.kind === 'miss') return null;
    if (cached.kind === 'negative') return { status: 'not_found' };
    if (cached.kind === 'expired') return { status: 'expired', keyId: cached.value.keyId };
    return accept(cached.value, scope);
  };

  const accept = (key: VerifiedKey, scope: VerifyScope): VerifyResult => {
    const scopeFailure = inScope(key, scope);
    if (scopeFailure) return { status: scopeFailure, keyId: key.keyId };
    if (key.stored) deps.onUsed?.(key.keyId);
    return { status: 'valid', key };
  };

  const verifyCached = (presented: string, scope: VerifyScope): VerifyResult | null => {
    if (presented.length > MAX_PRESENTED_KEY_LENGTH) return { status: 'malformed' };
    const digest = cache.digest(presented);
    const cached = fromCache(digest, scope);
    if (cached) return cached;
    const pending = precheck(presented, digest, scope);
    return 'status' in pending ? pending : null;
  };

  const verify = async (presented: string, scope: VerifyScope): Promise<VerifyResult> => {
    if (presented.length > MAX_PRESENTED_KEY_LENGTH) return { status: 'malformed' };
    const digest = cache.digest(presented);
    const cached = fromCache(digest, scope);
    if (cached) return cached;
    const pending = precheck(presented, digest, scope);
    if ('status' in pending) return pending;
    const since = cache.epoch();
    const result = await flights.run(`${since}:${pending.digest}`, () =>
      pending.type === 'remote' ? lookupRemote(presented, pending.issuerName, pending.keyId) : lookupStored(presented, pending.lookup()).catch(storeFailure),
    );
    if (result.kind === 'transient') return { status: result.status };
    if (result.kind === 'absent') {
      cache.setNegative(pending.digest, { since, ...(result.ttlSeconds !== undefined ? { ttlSeconds: result.ttlSeconds } : {}) });
      return { status: result.status, ...(result.keyId ? { keyId: result.keyId } : {}) };
    }
    const key = result.key;
    if (key.expiresAt !== null && key.expiresAt <= now()) return { status: 'expired', keyId: key.keyId };
    const issuer = deps.issuers.byName(key.issuer);
    cache.set(pending.digest, key, { since, ...(issuer?.type === 'remote' ? { ttlSeconds: issuer.cache_ttl } : {}) });
    return accept(key, scope);
  };

  return { verify, verifyCached, cache, slowHash: limiter };
}
