/**
 * The API-key lifecycle: generate, register, set, regenerate (with a grace period), revoke
 * (idempotent), read and list. Used by the Admin API and the CLI alike. Every write goes through
 * the store, which records the cluster event that makes every node's verifier forget the key.
 *
 * Each write is one transaction that locks what it depends on before reading it, so writes from
 * several nodes behave as if they ran one after the other: creating a key locks its owner rows
 * (service, then consumer) and counts the consumer's keys under that lock; changing or revoking
 * a key locks the key's row and works from what it reads there. Slow work (hashing a new secret)
 * happens before the transaction, so locks are held for a few statements only.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { PortcullisError } from '../../errors/portcullis-error.js';
import type { ApiKeyOwner, ApiKeyRecord } from '../../entities/api-keys.js';
import type { ApiKeysConfig } from '../../config/schema.js';
import type { Store } from '../../store/store.js';
import type { Page } from '../../store/pagination.js';
import type { Secret } from '../../observability/secret.js';
import type { KeyHashers } from '../hashing/key-hashers.js';
import type { IssuerDirectory } from './issuers.js';
import { resolveExpiry } from './expiry.js';
import { digestMaterial, generateMaterial, suppliedMaterial, type KeyMaterial } from './key-material.js';
import type { GenerateKeyInput, RegenerateKeyInput, SetKeyInput } from './schemas.js';

export interface ApiKeyServiceDeps {
  readonly store: Store;
  readonly config: ApiKeysConfig;
  readonly issuers: IssuerDirectory;
  readonly hashers: KeyHashers;
  readonly now?: () => number;
}

/** Where a request names the key's owner: `/services/{s}/api-keys` or `/consumers/{c}/api-keys`. */
export interface OwnerRef {
  readonly service?: string;
  readonly consumer?: string;
}

export interface KeyWithPlaintext {
  readonly record: ApiKeyRecord;
  /** The plaintext, present only when the key was generated here: returned once. */
  readonly plaintext: Secret<string> | null;
}

export interface RequestFacts {
  /** True when the Admin API connection is authenticated by token or local (loopback). */
  readonly protectedConnection: boolean;
}

export interface ApiKeyService {
  create(owner: OwnerRef, input: GenerateKeyInput, facts: RequestFacts): Promise<KeyWithPlaintext>;
  set(owner: OwnerRef, name: string, input: SetKeyInput, facts: RequestFacts): Promise<{ record: ApiKeyRecord; created: boolean }>;
  regenerate(owner: OwnerRef, name: string, input: RegenerateKeyInput): Promise<KeyWithPlaintext>;
  /**
   * Revokes the named key; succeeds for unknown and already revoked keys of an existing owner (it
   * leaks nothing about keys). An owner that does not exist is PC_NOT_FOUND, as the API Platform's
   * revoke checks the API first.
   */
  revoke(owner: OwnerRef, name: string): Promise<void>;
  get(owner: OwnerRef, name: string): Promise<ApiKeyRecord>;
  /** `owned`: list the keys the owner owns (a consumer's own keys), not every key naming it. */
  list(filter: {
    owner?: OwnerRef;
    owned?: boolean;
    status?: 'active' | 'revoked' | 'expired';
    issuer?: string;
    size?: number;
    offset?: string;
  }): Promise<Page<ApiKeyRecord>>;
  /** A remote issuer's revocations: every node drops these key ids from its cache. */
  announceRevocations(keyIds: readonly string[], issuer?: string): Promise<void>;
  nowSeconds(): number;
}

export function createApiKeyService(deps: ApiKeyServiceDeps): ApiKeyService {
  const { store, config } = deps;
  const now = deps.now ?? Date.now;
  const nowSeconds = () => Math.floor(now() / 1000);

  const resolveOwner = async (owner: OwnerRef): Promise<ApiKeyOwner> => {
    const service = owner.service !== undefined ? await store.services.getOrFail(owner.service) : null;
    const consumer = owner.consumer !== undefined ? await store.consumers.getOrFail(owner.consumer) : null;
    return { service_id: service?.id ?? null, consumer_id: consumer?.id ?? null };
  };

  /**
   * Locks the owner rows named by the path until the transaction ends (service before consumer,
   * in every writer, so lock waits never form a cycle); 404 when one was deleted since.
   */
  const lockOwners = async (owner: ApiKeyOwner) => {
    if (owner.service_id && !(await store.apiKeys.lockOwner('services', owner.service_id))) throw ownerGone('service');
    if (owner.consumer_id && !(await store.apiKeys.lockOwner('consumers', owner.consumer_id))) throw ownerGone('consumer');
  };

  /** The consumer a new key identifies; one named in the body (not the path) is locked here. */
  const resolveConsumerField = async (owner: ApiKeyOwner, consumer: GenerateKeyInput['consumer']): Promise<string | null> => {
    if (consumer === undefined) return owner.consumer_id;
    if (owner.consumer_id) throw invalid('consumer', 'is set by the path of this request');
    const ref = typeof consumer === 'string' ? consumer : 'id' in consumer ? consumer.id : consumer.username;
    const found = await store.consumers.get(ref);
    if (!found || !(await store.apiKeys.lockOwner('consumers', found.id))) throw invalid('consumer', 'does not refer to an existing consumer');
    return found.id;
  };

  const material = async (input: { api_key?: string; sha256?: string; issuer?: string }, facts: RequestFacts): Promise<KeyMaterial> => {
    if (input.api_key !== undefined && input.sha256 !== undefined) throw invalid('sha256', 'give api_key or sha256, not both');
    if (input.sha256 !== undefined) return digestMaterial(deps, input.sha256, input.issuer);
    if (input.api_key !== undefined) {
      if (!facts.protectedConnection) throw new PortcullisError('PC_APIKEY_PLAINTEXT_REFUSED');
      return suppliedMaterial(deps, input.api_key);
    }
    return generateMaterial(deps, input.issuer);
  };

  /** Counts under the consumer's row lock (see resolveConsumerField), so concurrent creates cannot all pass. */
  const checkLimit = async (consumerId: string | null) => {
    if (!consumerId || config.max_per_consumer === 0) return;
    const active = await store.apiKeys.countActive({ consumer_id: consumerId }, nowSeconds());
    if (active >= config.max_per_consumer) {
      throw new PortcullisError('PC_STORE_LIMIT_REACHED', { message: `This consumer already has ${active} active keys (api_keys.max_per_consumer)` });
    }
  };

  const findActive = async (owner: ApiKeyOwner, name: string): Promise<ApiKeyRecord | null> => {
    const record = await store.apiKeys.getByName(owner, name);
    return record && record.status === 'active' ? record : null;
  };

  /** Inserts a new key; runs inside a transaction that holds the path owners' locks. */
  const insert = async (owner: ApiKeyOwner, name: string, input: GenerateKeyInput | SetKeyInput, km: KeyMaterial): Promise<ApiKeyRecord> => {
    const at = nowSeconds();
    const consumerId = await resolveConsumerField(owner, input.consumer);
    await checkLimit(consumerId);
    const record: ApiKeyRecord = {
      id: randomUUID(),
      name,
      display_name: input.display_name ?? null,
      key_id: km.key_id,
      issuer: km.issuer,
      prefix: km.prefix,
      source: km.source,
      secret: km.secret,
      previous: null,
      service: owner.service_id ? { id: owner.service_id } : null,
      consumer: consumerId ? { id: consumerId } : null,
      status: 'active',
      expires_at: resolveExpiry(input, at, config.default_ttl),
      revoked_at: null,
      last_used_at: null,
      metadata: input.metadata ?? {},
      created_at: at,
      updated_at: at,
    };
    return store.apiKeys.insert(record);
  };

  return {
    nowSeconds,
    async create(ownerRef, input, facts) {
      const owner = await resolveOwner(ownerRef);
      const name = input.name ?? `key-${randomBytes(4).toString('hex')}`;
      const km = await material(input, facts);
      const record = await store.transaction(async () => {
        await lockOwners(owner);
        return insert(owner, name, input, km);
      });
      return { record, plaintext: km.plaintext };
    },

    async set(ownerRef, name, input, facts) {
      if (input.api_key === undefined && input.sha256 === undefined) throw invalid('api_key', 'is required (or sha256)');
      const owner = await resolveOwner(ownerRef);
      const km = await material(input, facts);
      return store.transaction(async () => {
        // The owner lock also makes concurrent PUTs of one new name create once, then replace.
        await lockOwners(owner);
        const current = await store.apiKeys.lockActive(owner, name);
        if (!current) return { record: await insert(owner, name, input, km), created: true };
        const at = nowSeconds();
        const record = await store.apiKeys.replaceSecret(
          current,
          {
            ...km,
            previous: null,
            expires_at: input.expires_at !== undefined || input.expires_in !== undefined ? resolveExpiry(input, at, 0) : current.expires_at,
          },
          at,
        );
        return { record, created: false };
      });
    },

    async regenerate(ownerRef, name, input) {
      const owner = await resolveOwner(ownerRef);
      // Read once before locking only to hash the new secret outside the lock.
      const seen = regenerable(await findActive(owner, name), name);
      const made = await generateMaterial(deps, seen.issuer);
      return store.transaction(async () => {
        // What counts is the key as it is now: revoked meanwhile → 404, as if the revoke came first.
        const current = regenerable(await store.apiKeys.lockActive(owner, name), name);
        // A concurrent set may have moved the key to another issuer: make the secret for that one.
        const km = current.issuer === made.issuer ? made : await generateMaterial(deps, current.issuer);
        const at = nowSeconds();
        const grace = input.grace_period ?? 0;
        const expiresAt = input.expires_at !== undefined || input.expires_in !== undefined ? resolveExpiry(input, at, 0) : current.expires_at;
        const record = await store.apiKeys.replaceSecret(
          current,
          { ...km, previous: grace > 0 ? { ...current.secret, valid_until: graceUntil(at + grace, expiresAt) } : null, expires_at: expiresAt },
          at,
        );
        return { record, plaintext: km.plaintext };
      });
    },

    async revoke(ownerRef, name) {
      const owner = await resolveOwner(ownerRef);
      await store.transaction(async () => {
        const current = await store.apiKeys.lockActive(owner, name);
        if (current) await store.apiKeys.revoke(current, nowSeconds());
      });
    },

    async get(ownerRef, name) {
      const record = await store.apiKeys.getByName(await resolveOwner(ownerRef), name);
      if (!record) throw new PortcullisError('PC_NOT_FOUND', { message: `No API key named "${name}"` });
      return record;
    },

    async list(filter) {
      const owner = filter.owner ? await resolveOwner(filter.owner) : { service_id: null, consumer_id: null };
      return store.apiKeys.list({
        ...(owner.service_id ? { service_id: owner.service_id } : {}),
        ...(owner.consumer_id ? { consumer_id: owner.consumer_id } : {}),
        ...(filter.owned && !owner.service_id ? { without_service: true } : {}),
        ...(filter.status ? { status: filter.status } : {}),
        nowSeconds: nowSeconds(),
        ...(filter.issuer ? { issuer: filter.issuer } : {}),
        ...(filter.size !== undefined ? { size: filter.size } : {}),
        ...(filter.offset !== undefined ? { offset: filter.offset } : {}),
      });
    },

    async announceRevocations(keyIds, issuer) {
      await store.recordEvent({ entity: 'api_key_revocations', entity_id: issuer ?? 'remote', operation: 'delete', data: { key_ids: [...keyIds] } });
    },
  };
}

/** The active key `record` if its secret is made here; 404 or PC_APIKEY_ISSUER_READ_ONLY otherwise. */
function regenerable(record: ApiKeyRecord | null, name: string): ApiKeyRecord {
  if (!record) throw new PortcullisError('PC_NOT_FOUND', { message: `No active API key named "${name}"` });
  if (record.source !== 'generated' && record.source !== 'supplied') {
    throw new PortcullisError('PC_APIKEY_ISSUER_READ_ONLY', {
      message: `Key "${name}" was registered by issuer "${record.issuer}"; that issuer regenerates it`,
    });
  }
  return record;
}

/** A grace period never outlives the key's own expiry: the old secret stops when the key does. */
export function graceUntil(requested: number, expiresAt: number | null): number {
  return expiresAt === null ? requested : Math.min(requested, expiresAt);
}

function ownerGone(kind: 'service' | 'consumer'): PortcullisError {
  return new PortcullisError('PC_NOT_FOUND', { message: `The key's ${kind} was deleted` });
}

function invalid(path: string, message: string): PortcullisError {
  return new PortcullisError('PC_VALIDATION_FAILED', { message: `${path} ${message}`, fields: [{ path, message }] });
}
