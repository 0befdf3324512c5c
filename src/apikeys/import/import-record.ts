/**
 * Turns one checked import line into the record to insert: the key material (hashed with the
 * configured algorithm, or registered by digest), the owner ids, the name and the expiry, by the
 * same rules as the Admin API's key creation (key-material.ts, expiry.ts). Failures are field
 * errors of the line, never an exception, and never quote the key.
 */
import { randomBytes } from 'node:crypto';
import { uuidV7 } from '../../store/uuid-v7.js';
import type { ApiKeyRecord } from '../../entities/api-keys.js';
import type { ApiKeysConfig } from '../../config/schema.js';
import { isPortcullisError, type FieldError } from '../../errors/portcullis-error.js';
import { nameCacheKey } from '../../store/api-key-dao.js';
import { resolveExpiry } from '../lifecycle/expiry.js';
import { DIGEST_ALGORITHM, EXTERNAL_ISSUER, digestMaterial, suppliedMaterial, type KeyMaterial, type MaterialDeps } from '../lifecycle/key-material.js';
import type { ImportLine } from './import-line.js';
import type { ImportOwners } from './import-owners.js';

/** A record ready to insert, with the unique values an import checks before inserting it. */
export interface ImportedKey {
  readonly record: ApiKeyRecord;
  readonly cacheKey: string;
  /** The line's field that holds the key: a conflict on the key is reported there. */
  readonly keyField: 'value' | 'sha256';
}

/** The owner a line without `service` or `consumer` gets: the command's --service/--consumer. */
export interface DefaultOwner {
  readonly service?: string | undefined;
  readonly consumer?: string | undefined;
}

export interface RecordDeps extends MaterialDeps {
  readonly config: ApiKeysConfig;
  readonly owners: ImportOwners;
  readonly nowSeconds: number;
}

/** The key material of `line` (hashed: the slow part, safe to run concurrently), or its field errors. */
export async function importMaterial(deps: MaterialDeps, line: ImportLine): Promise<KeyMaterial | { readonly errors: FieldError[] }> {
  try {
    const km = await material(deps, line);
    if (line.value !== undefined && line.issuer !== undefined && line.issuer !== km.issuer)
      return fail('issuer', `does not match the issuer of the value's prefix (${km.issuer})`);
    return km;
  } catch (err) {
    return refusal(err, line.value !== undefined ? 'value' : 'issuer');
  }
}

/**
 * The record of `line` with its material, or the field errors that keep it out. Call in line
 * order, one at a time: owners are resolved and consumer slots counted here.
 */
export async function importRecord(
  deps: RecordDeps,
  line: ImportLine,
  km: KeyMaterial,
  defaults: DefaultOwner,
): Promise<ImportedKey | { readonly errors: FieldError[] }> {
  try {
    const named = line.service !== undefined || line.consumer !== undefined;
    const serviceRef = named ? line.service : defaults.service;
    const consumerRef = named ? line.consumer : defaults.consumer;
    if (serviceRef === undefined && consumerRef === undefined) return fail('service', 'a key needs an owner: service or consumer (or --service / --consumer)');
    const serviceId = serviceRef === undefined ? null : await deps.owners.resolve('services', serviceRef);
    if (serviceRef !== undefined && serviceId === null) return fail('service', 'does not refer to an existing service');
    const consumerId = consumerRef === undefined ? null : await deps.owners.resolve('consumers', consumerRef);
    if (consumerRef !== undefined && consumerId === null) return fail('consumer', 'does not refer to an existing consumer');
    const expiresAt = resolveExpiry(line.expires_at !== undefined ? { expires_at: line.expires_at } : {}, deps.nowSeconds, deps.config.default_ttl);
    if (consumerId !== null && !(await deps.owners.takeSlot(consumerId)))
      return fail('consumer', `already has ${deps.config.max_per_consumer} active keys (api_keys.max_per_consumer)`);
    const name = line.name ?? `key-${km.key_id}`;
    const record: ApiKeyRecord = {
      // Time-ordered: a large import appends to the primary key's index (uuid-v7.ts).
      id: uuidV7(),
      name,
      display_name: line.display_name ?? null,
      key_id: km.key_id,
      issuer: km.issuer,
      prefix: km.prefix,
      source: km.source,
      secret: km.secret,
      previous: null,
      service: serviceId ? { id: serviceId } : null,
      consumer: consumerId ? { id: consumerId } : null,
      status: 'active',
      expires_at: expiresAt,
      revoked_at: null,
      last_used_at: null,
      metadata: line.metadata ?? {},
      created_at: deps.nowSeconds,
      updated_at: deps.nowSeconds,
    };
    return {
      record,
      cacheKey: nameCacheKey({ service_id: serviceId, consumer_id: consumerId }, name),
      keyField: line.value !== undefined ? 'value' : 'sha256',
    };
  } catch (err) {
    return refusal(err, 'expires_at');
  }
}

/** Our expected refusals (a malformed value, an unknown issuer, a past expiry) as a field error; anything else is rethrown. */
function refusal(err: unknown, fallbackPath: string): { errors: FieldError[] } {
  // A store that is down (5xx) is not the line's fault: the import stops.
  if (!isPortcullisError(err) || err.status >= 500) throw err;
  const path = err.fields?.[0]?.path ?? (err.code.startsWith('PC_APIKEY_ISSUER') ? 'issuer' : fallbackPath);
  return fail(path === 'api_key' ? 'value' : path, err.fields?.[0]?.message ?? err.message);
}

/** `value` as the Admin API's `api_key`; `sha256` for a push issuer, or as an external key. */
async function material(deps: MaterialDeps, line: ImportLine): Promise<KeyMaterial> {
  if (line.value !== undefined) return suppliedMaterial(deps, line.value);
  const digest = line.sha256!.toLowerCase();
  if (line.issuer !== EXTERNAL_ISSUER || deps.issuers.byName(EXTERNAL_ISSUER)) return digestMaterial(deps, digest, line.issuer);
  return {
    secret: { lookup: `sha256:${digest}`, algorithm: DIGEST_ALGORITHM, salt: null, hash: digest },
    key_id: randomBytes(8).toString('hex'),
    issuer: EXTERNAL_ISSUER,
    prefix: null,
    source: 'external',
    plaintext: null,
  };
}

function fail(path: string, message: string): { errors: FieldError[] } {
  return { errors: [{ path, message }] };
}
