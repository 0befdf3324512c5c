/**
 * API keys named in a path by id as well as by name (`/consumers/{c}/api-keys/{key}`), like every
 * other entity: a UUID is the key's id, anything else its name. A UUID-shaped value is always an
 * id (the rule of entity-dao.ts), so a new key may not take a UUID as its name. An id is looked
 * up under the owner in the path only: the id of another owner's key is 404, exactly like an
 * unknown id, so a path never reaches past its owner. Names go to the API-key service unchanged.
 */
import type { ApiKeyService, KeyWithPlaintext, OwnerRef, RequestFacts } from '../../apikeys/lifecycle/api-key-service.js';
import type { RegenerateKeyInput, SetKeyInput } from '../../apikeys/lifecycle/schemas.js';
import type { ApiKeyOwner, ApiKeyRecord } from '../../entities/api-keys.js';
import { isUuid } from '../../entities/common-schemas.js';
import { PortcullisError } from '../../errors/portcullis-error.js';
import type { Store } from '../../store/store.js';

/** The key operations of a path that names a key by id or by name. */
export interface ApiKeyRefs {
  show(owner: OwnerRef, ref: string): Promise<ApiKeyRecord>;
  regenerate(owner: OwnerRef, ref: string, input: RegenerateKeyInput): Promise<KeyWithPlaintext>;
  set(owner: OwnerRef, ref: string, input: SetKeyInput, facts: RequestFacts): Promise<{ record: ApiKeyRecord; created: boolean }>;
  /** Idempotent: an unknown, foreign or already revoked key of an existing owner is no error. */
  revoke(owner: OwnerRef, ref: string): Promise<void>;
}

/** Refuses a new key's name that a path would read as an id. */
export function assertNotUuidName(name: string | undefined): void {
  if (name === undefined || !isUuid(name)) return;
  const message = 'must not be a UUID: a UUID in a path names a key by its id';
  throw new PortcullisError('PC_VALIDATION_FAILED', { message: `The request is not valid: name ${message}`, fields: [{ path: 'name', message }] });
}

export function apiKeyRefs(store: Store, keys: ApiKeyService): ApiKeyRefs {
  /** The owner's ids; 404 when the service or consumer does not exist (before any key lookup). */
  const ownerIds = async (owner: OwnerRef): Promise<ApiKeyOwner> => ({
    service_id: owner.service !== undefined ? (await store.services.getOrFail(owner.service)).id : null,
    consumer_id: owner.consumer !== undefined ? (await store.consumers.getOrFail(owner.consumer)).id : null,
  });
  const noKey = (id: string, active: string) => new PortcullisError('PC_NOT_FOUND', { message: `No ${active}API key with id "${id}"` });
  /** The active key with this id, or 404; its name is what the service's operations take. */
  const activeById = (record: ApiKeyRecord | null, id: string): ApiKeyRecord => {
    if (!record || record.status !== 'active') throw noKey(id, 'active ');
    return record;
  };

  return {
    async show(owner, ref) {
      if (!isUuid(ref)) return keys.get(owner, ref);
      const record = await store.apiKeys.getOwnedById(await ownerIds(owner), ref);
      if (!record) throw noKey(ref, '');
      return record;
    },
    async regenerate(owner, ref, input) {
      if (!isUuid(ref)) return keys.regenerate(owner, ref, input);
      const record = activeById(await store.apiKeys.getOwnedById(await ownerIds(owner), ref), ref);
      // Names are unique among active keys: the service regenerates this very key (unless it is
      // revoked meanwhile and the name reused, a race the by-name path has as well).
      return keys.regenerate(owner, record.name, input);
    },
    async set(owner, ref, input, facts) {
      if (!isUuid(ref)) return keys.set(owner, ref, input, facts);
      const ids = await ownerIds(owner);
      // The row stays locked until the service replaced its secret: a revoke cannot slip in between
      // and make the service create a new key under the name instead. An id never creates a key.
      return store.transaction(async () => keys.set(owner, activeById(await store.apiKeys.lockOwnedById(ids, ref), ref).name, input, facts));
    },
    async revoke(owner, ref) {
      if (!isUuid(ref)) return keys.revoke(owner, ref);
      const record = await store.apiKeys.getOwnedById(await ownerIds(owner), ref);
      // The store revokes by id and only an active row: a concurrent revoke makes this a no-op.
      if (record) await store.apiKeys.revoke(record, keys.nowSeconds());
    },
  };
}
