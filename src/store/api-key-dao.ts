/**
 * The API-key DAO. Keys have operations of their own (lookup by public id or digest, secret
 * replacement with a grace period, idempotent revoke, batched last-use times), so they get a DAO
 * of their own on the shared DAO context: same transactions, same cluster events.
 * Events carry the public key id only, never a hash.
 *
 * Concurrent writers (other nodes, the CLI) are serialised by locks taken inside the caller's
 * `store.transaction`: `lockOwner` on the owner rows of a key being created, `lockActive` on the
 * key being changed. Writes change only the columns they own, and only while the row is still
 * what the change was computed from (compare-and-set), so none can undo another's revoke.
 *
 * The hashes and salts (current and previous) are encrypted by the keyring (`API_KEY_ENCRYPTED_COLUMNS`):
 * a stolen database alone cannot test candidate keys. Lookups use the `lookup` column, never them.
 */
import { CompiledQuery, type Transaction } from 'kysely';
import type { ApiKeyOwner, ApiKeyRecord, ApiKeySecret } from '../entities/api-keys.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import type { DaoContext } from './dao-context.js';
import { fieldAad, isEncryptedValue, type FieldCipher } from './field-cipher.js';
import { clampPageSize, decodeOffset, encodeOffset, type Page } from './pagination.js';

type Row = Record<string, any>;

/** What replaceSecret writes: the secret, the previous one, the expiry. Never the status, name or owner. */
const SECRET_COLUMNS = [
  'key_id',
  'issuer',
  'prefix',
  'source',
  'lookup',
  'algorithm',
  'salt',
  'hash',
  'prev_lookup',
  'prev_algorithm',
  'prev_salt',
  'prev_hash',
  'prev_valid_until',
  'expires_at',
  'updated_at',
] as const;

/**
 * Rows per multi-row INSERT: 26 columns × 1,000 = 26,000 parameters, under SQLite's 32,766 and
 * PostgreSQL's 65,535; larger batches gain nothing measurable (see bench/keys-scale.ts).
 */
export const INSERT_BATCH_ROWS = 1000;

/** Values `findTaken` found in use. */
export interface Taken {
  readonly lookups: Set<string>;
  readonly keyIds: Set<string>;
  readonly cacheKeys: Set<string>;
}

export interface ApiKeyListOptions {
  readonly service_id?: string;
  readonly consumer_id?: string;
  /** Only keys without a service (owned by their consumer). */
  readonly without_service?: boolean;
  /** `expired` is an active key whose expires_at has passed at `nowSeconds`. */
  readonly status?: 'active' | 'revoked' | 'expired';
  readonly nowSeconds?: number;
  readonly issuer?: string;
  readonly size?: number;
  readonly offset?: string;
}

/**
 * Names are unique per owner among keys that are not revoked. A key with a service belongs to
 * that service (its consumer is who it identifies); a key without one belongs to its consumer.
 */
export function nameCacheKey(owner: ApiKeyOwner, name: string): string {
  return owner.service_id ? `api_keys:service:${owner.service_id}:${name}` : `api_keys:consumer:${owner.consumer_id ?? ''}:${name}`;
}

/** The api_keys columns stored through the field cipher (AAD `api_keys|<column>|<id>`). */
export const API_KEY_ENCRYPTED_COLUMNS = ['salt', 'hash', 'prev_salt', 'prev_hash'] as const;

type SecretColumn = (typeof API_KEY_ENCRYPTED_COLUMNS)[number];

/** The encrypted columns of a record with their plaintexts, in API_KEY_ENCRYPTED_COLUMNS order. */
type SecretField = readonly [SecretColumn, string | null];
function secretFields(r: ApiKeyRecord): readonly [SecretField, SecretField, SecretField, SecretField] {
  return [
    ['salt', r.secret.salt],
    ['hash', r.secret.hash],
    ['prev_salt', r.previous?.salt ?? null],
    ['prev_hash', r.previous?.hash ?? null],
  ];
}

const ENCODED = Symbol('encoded api_keys rows');
/** Rows made by `ApiKeyDao.encodeMany`, their secrets sealed; opaque to everything else. */
export interface EncodedApiKeys {
  readonly [ENCODED]: readonly Row[];
}

export class ApiKeyDao {
  readonly #ctx: DaoContext;
  readonly #cipher: FieldCipher;
  /** INSERT text per batch shape (see #insertRows). */
  readonly #insertSql = new Map<string, string>();

  constructor(ctx: DaoContext, cipher: FieldCipher) {
    this.#ctx = ctx;
    this.#cipher = cipher;
  }

  async insert(record: ApiKeyRecord): Promise<ApiKeyRecord> {
    return this.#ctx.write(async (tx) => {
      await tx.db.insertInto('api_keys').values(this.#encode(record)).execute();
      tx.recordEvent({ entity: 'api_keys', entity_id: record.id, operation: 'create', data: eventData(record) });
      return record;
    }, 'api_keys');
  }

  /**
   * Inserts many keys in one multi-row INSERT per `INSERT_BATCH_ROWS`, inside the caller's
   * transaction (or one of its own). No event per key: a bulk import records one event itself
   * (`recordBulkEvent`), since caches only need to forget unknown keys, not learn new ones.
   */
  async insertMany(records: readonly ApiKeyRecord[]): Promise<void> {
    await this.insertEncoded(await this.encodeMany(records));
  }

  /**
   * The rows of `records` as `insertEncoded` writes them, their secrets sealed (by the cipher's
   * `encryptMany` when it has one: on a worker thread for large batches). Split from the insert
   * so that a bulk import seals one batch while it writes the one before.
   */
  async encodeMany(records: readonly ApiKeyRecord[]): Promise<EncodedApiKeys> {
    const fields: [string, string][] = [];
    for (const r of records) {
      for (const [column, value] of secretFields(r)) if (value !== null) fields.push([value, fieldAad('api_keys', column, r.id)]);
    }
    const sealed = this.#cipher.encryptMany ? await this.#cipher.encryptMany(fields) : fields.map(([plaintext, aad]) => this.#cipher.encrypt(plaintext, aad));
    if (sealed.length !== fields.length) throw new Error(`the cipher sealed ${sealed.length} of ${fields.length} fields`);
    let next = 0;
    const rows = records.map((r) => this.#encode(r, (_column, value) => (value === null ? null : sealed[next++]!)));
    return { [ENCODED]: rows };
  }

  /** Writes rows from `encodeMany` (see insertMany). */
  async insertEncoded(encoded: EncodedApiKeys): Promise<void> {
    const rows = encoded[ENCODED];
    if (rows.length === 0) return;
    await this.#ctx.write(async (tx) => {
      for (let i = 0; i < rows.length; i += INSERT_BATCH_ROWS) await this.#insertRows(tx.db, rows.slice(i, i + INSERT_BATCH_ROWS));
    }, 'api_keys');
  }

  /**
   * One multi-row INSERT. Building it through Kysely costs ~10 µs per row (a million-key import
   * pays it a million times), so the SQL text Kysely compiles for a batch shape (columns × rows) is
   * kept and later batches of that shape only pass their values — once Kysely's parameters were
   * seen to be exactly the rows' values in row-major order; otherwise every batch is compiled.
   */
  async #insertRows(db: Transaction<any>, rows: readonly Row[]): Promise<void> {
    const columns = Object.keys(rows[0]!);
    const shape = `${rows.length}:${columns.join(',')}`;
    const values: unknown[] = [];
    for (const row of rows) for (const column of columns) values.push(row[column]);
    const known = this.#insertSql.get(shape);
    if (known !== undefined) {
      await db.executeQuery(CompiledQuery.raw(known, values));
      return;
    }
    const compiled = db.insertInto('api_keys').values(rows).compile();
    if (this.#insertSql.size >= 16) this.#insertSql.clear();
    if (compiled.parameters.length === values.length && compiled.parameters.every((p, i) => p === values[i])) this.#insertSql.set(shape, compiled.sql);
    await db.executeQuery(compiled);
  }

  /**
   * Which of these values some stored key already holds (its lookup or previous lookup, public id
   * or name-per-owner `cache_key`), so an import can name the offending line before an INSERT
   * fails as a whole. Read in the caller's transaction, so keys it inserted count too.
   */
  async findTaken(values: { readonly lookups: readonly string[]; readonly keyIds: readonly string[]; readonly cacheKeys: readonly string[] }): Promise<Taken> {
    const taken: Taken = { lookups: new Set(), keyIds: new Set(), cacheKeys: new Set() };
    if (values.lookups.length + values.keyIds.length + values.cacheKeys.length === 0) return taken;
    return this.#ctx.read(async (db) => {
      const rows = await db
        .selectFrom('api_keys')
        .select(['lookup', 'prev_lookup', 'key_id', 'cache_key'])
        .where((eb) =>
          eb.or([
            ...(values.lookups.length ? [eb('lookup', 'in', values.lookups), eb('prev_lookup', 'in', values.lookups)] : []),
            ...(values.keyIds.length ? [eb('key_id', 'in', values.keyIds)] : []),
            ...(values.cacheKeys.length ? [eb('cache_key', 'in', values.cacheKeys)] : []),
          ]),
        )
        .execute();
      for (const row of rows) {
        taken.lookups.add(row.lookup);
        if (row.prev_lookup) taken.lookups.add(row.prev_lookup);
        taken.keyIds.add(row.key_id);
        taken.cacheKeys.add(row.cache_key);
      }
      return taken;
    }, 'api_keys');
  }

  /** The one event of a bulk insert: nodes drop their negative caches, so imported keys work at once. */
  async recordBulkEvent(source: string, count: number): Promise<void> {
    await this.#ctx.write(async (tx) => tx.recordEvent({ entity: 'api_keys', entity_id: source, operation: 'create', data: { imported: count } }), 'api_keys');
  }

  /** The key whose current or (still valid) previous secret has this lookup. */
  async findByLookup(lookup: string): Promise<{ record: ApiKeyRecord; secret: ApiKeySecret; isPrevious: boolean } | null> {
    return this.#ctx.read(async (db) => {
      const row = await db
        .selectFrom('api_keys')
        .selectAll()
        .where((eb) => eb.or([eb('lookup', '=', lookup), eb('prev_lookup', '=', lookup)]))
        .executeTakeFirst();
      if (!row) return null;
      const record = this.#decode(row);
      const isPrevious = row.lookup !== lookup;
      const secret = isPrevious ? record.previous : record.secret;
      return secret ? { record, secret, isPrevious } : null;
    }, 'api_keys');
  }

  async getById(id: string): Promise<ApiKeyRecord | null> {
    return this.#ctx.read(async (db) => {
      const row = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? this.#decode(row) : null;
    }, 'api_keys');
  }

  /**
   * The key with this id if `owner` owns it (see nameCacheKey), in any status. The id of another
   * owner's key finds nothing: a path names a key under its owner, never past it; no owner, no key.
   */
  async getOwnedById(owner: ApiKeyOwner, id: string): Promise<ApiKeyRecord | null> {
    if (!owner.service_id && !owner.consumer_id) return null;
    return this.#ctx.read(async (db) => {
      const row = await ownedBy(db.selectFrom('api_keys').selectAll().where('id', '=', id.toLowerCase()), owner).executeTakeFirst();
      return row ? this.#decode(row) : null;
    }, 'api_keys');
  }

  /** `getOwnedById`, the row locked until the caller's transaction ends. Call it inside `store.transaction`. */
  async lockOwnedById(owner: ApiKeyOwner, id: string): Promise<ApiKeyRecord | null> {
    if (!owner.service_id && !owner.consumer_id) return null;
    return this.#ctx.joinTransaction(async (tx) => {
      const row = await tx.forUpdate(ownedBy(tx.db.selectFrom('api_keys').selectAll().where('id', '=', id.toLowerCase()), owner)).executeTakeFirst();
      return row ? this.#decode(row) : null;
    }, 'api_keys');
  }

  /** The key of this owner (see nameCacheKey) with this name: the active one, else the latest revoked one. */
  async getByName(owner: ApiKeyOwner, name: string): Promise<ApiKeyRecord | null> {
    return this.#ctx.read(async (db) => {
      const rows = await byName(db.selectFrom('api_keys').selectAll(), owner, name).orderBy('created_at', 'desc').execute();
      const row = rows.find((r) => r.status === 'active') ?? rows[0];
      return row ? this.#decode(row) : null;
    }, 'api_keys');
  }

  /**
   * The active key of this owner with this name, locked until the caller's transaction ends: a
   * concurrent write of the same key waits, and this one sees what it committed (a key revoked
   * meanwhile is not returned). Call it inside `store.transaction`.
   */
  async lockActive(owner: ApiKeyOwner, name: string): Promise<ApiKeyRecord | null> {
    return this.#ctx.joinTransaction(async (tx) => {
      const query = byName(tx.db.selectFrom('api_keys').selectAll(), owner, name).where('status', '=', 'active');
      const row = await tx.forUpdate(query).executeTakeFirst();
      return row ? this.#decode(row) : null;
    }, 'api_keys');
  }

  /**
   * Locks the owner row (a service or consumer) of a key being created, until the caller's
   * transaction ends; false when it does not exist (deleted meanwhile). Writers that lock both
   * lock the service first. Call it inside `store.transaction`.
   */
  async lockOwner(table: 'services' | 'consumers', id: string): Promise<boolean> {
    return this.#ctx.joinTransaction(async (tx) => {
      const row = await tx.forUpdate(tx.db.selectFrom(table).select('id').where('id', '=', id)).executeTakeFirst();
      return row !== undefined;
    }, 'api_keys');
  }

  async list(options: ApiKeyListOptions = {}): Promise<Page<ApiKeyRecord>> {
    const size = clampPageSize(options.size);
    return this.#ctx.read(async (db) => {
      let q = db
        .selectFrom('api_keys')
        .selectAll()
        .orderBy('id')
        .limit(size + 1);
      if (options.offset) q = q.where('id', '>', decodeOffset(options.offset));
      if (options.service_id) q = q.where('service_id', '=', options.service_id);
      if (options.consumer_id) q = q.where('consumer_id', '=', options.consumer_id);
      if (options.without_service) q = q.where('service_id', 'is', null);
      const at = options.nowSeconds ?? Math.floor(Date.now() / 1000);
      if (options.status === 'revoked') q = q.where('status', '=', 'revoked');
      if (options.status === 'active') {
        q = q.where('status', '=', 'active').where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', at)]));
      }
      if (options.status === 'expired') q = q.where('status', '=', 'active').where('expires_at', '<=', at);
      if (options.issuer) q = q.where('issuer', '=', options.issuer);
      const rows = await q.execute();
      const data = rows.slice(0, size).map((r) => this.#decode(r));
      const last = data[data.length - 1];
      return { data, offset: rows.length > size && last ? encodeOffset(last.id) : null };
    }, 'api_keys');
  }

  async countActive(owner: { consumer_id: string }, nowSeconds: number): Promise<number> {
    return this.#ctx.read(async (db) => {
      const row = await db
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('consumer_id', '=', owner.consumer_id)
        .where('status', '=', 'active')
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', nowSeconds)]))
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    }, 'api_keys');
  }

  /**
   * Replaces the secret (regenerate / set value); `previous` keeps the old one for a grace period.
   * `record` is the key as read under `lockActive`. Only the secret and expiry columns are written,
   * and only while the key is still active with the secret `record` holds: otherwise (revoked or
   * replaced by a writer that did not lock) nothing is written and PC_STORE_CONFLICT is thrown.
   */
  async replaceSecret(
    record: ApiKeyRecord,
    change: Pick<ApiKeyRecord, 'secret' | 'previous' | 'key_id' | 'source' | 'prefix' | 'issuer'> & Partial<Pick<ApiKeyRecord, 'expires_at'>>,
    nowSeconds: number,
  ): Promise<ApiKeyRecord> {
    return this.#ctx.write(async (tx) => {
      const next: ApiKeyRecord = { ...record, ...change, updated_at: nowSeconds };
      const row = this.#encode(next);
      const result = await tx.db
        .updateTable('api_keys')
        .set(Object.fromEntries(SECRET_COLUMNS.map((column) => [column, row[column]])))
        .where('id', '=', record.id)
        .where('status', '=', 'active')
        .where('lookup', '=', record.secret.lookup)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) {
        throw new PortcullisError('PC_STORE_CONFLICT', { message: 'The API key was revoked or changed by a concurrent request; nothing was written' });
      }
      // The event names the old public id too, so caches drop entries of the replaced secret.
      tx.recordEvent({ entity: 'api_keys', entity_id: record.id, operation: 'update', data: { ...eventData(next), replaced_key_id: record.key_id } });
      return next;
    }, 'api_keys');
  }

  /**
   * Marks the key revoked and frees its name. Returns false when it was already revoked. The
   * event names the public id the row holds at the revoke (RETURNING), not the one `record` was
   * read with, so caches drop the secret that was current even if it was replaced meanwhile.
   */
  async revoke(record: Pick<ApiKeyRecord, 'id'>, nowSeconds: number): Promise<boolean> {
    return this.#ctx.write(async (tx) => {
      const revoked = await tx.db
        .updateTable('api_keys')
        .set({
          status: 'revoked',
          revoked_at: nowSeconds,
          updated_at: nowSeconds,
          cache_key: `revoked:${record.id}`,
          prev_lookup: null,
          prev_hash: null,
          prev_salt: null,
          prev_algorithm: null,
          prev_valid_until: null,
        })
        .where('id', '=', record.id)
        .where('status', '=', 'active')
        .returning(['key_id', 'consumer_id', 'service_id'])
        .executeTakeFirst();
      if (!revoked) return false;
      tx.recordEvent({
        entity: 'api_keys',
        entity_id: record.id,
        operation: 'update',
        data: { key_id: revoked.key_id, consumer_id: revoked.consumer_id ?? null, service_id: revoked.service_id ?? null },
      });
      return true;
    }, 'api_keys');
  }

  /** Replaces the stored hash of a verified secret with one under the current algorithm. */
  async rehash(id: string, isPrevious: boolean, stored: Omit<ApiKeySecret, 'lookup'>): Promise<void> {
    const p = isPrevious ? 'prev_' : '';
    await this.#ctx.write(async (tx) => {
      await tx.db
        .updateTable('api_keys')
        .set({
          [`${p}algorithm`]: stored.algorithm,
          [`${p}salt`]: this.#seal(`${p}salt`, id, stored.salt),
          [`${p}hash`]: this.#seal(`${p}hash`, id, stored.hash),
        })
        .where('id', '=', id)
        .execute();
    }, 'api_keys');
  }

  /**
   * Writes last-use times collected in memory, by the keys' public ids (`key_id`, unique and
   * indexed), in seconds; no event: nothing a proxy reads changes.
   */
  async touch(lastUsed: ReadonlyMap<string, number>): Promise<void> {
    if (lastUsed.size === 0) return;
    await this.#ctx.write(async (tx) => {
      // In key_id order: two nodes flushing the same keys then lock rows in the same order (no deadlock).
      for (const [keyId, at] of [...lastUsed].sort(([a], [b]) => (a < b ? -1 : 1))) {
        await tx.db
          .updateTable('api_keys')
          .set({ last_used_at: at })
          .where('key_id', '=', keyId)
          .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', at)]))
          .execute();
      }
    }, 'api_keys');
  }

  #seal(column: SecretColumn, id: string, value: string | null): string | null {
    return value === null ? null : this.#cipher.encrypt(value, fieldAad('api_keys', column, id));
  }

  #decode(row: Row): ApiKeyRecord {
    const open = { ...row };
    for (const column of API_KEY_ENCRYPTED_COLUMNS) {
      const value = row[column];
      if (isEncryptedValue(value)) open[column] = this.#cipher.decrypt(value, fieldAad('api_keys', column, row.id));
    }
    return decode(open);
  }

  #encode(r: ApiKeyRecord, seal: (column: SecretColumn, value: string | null) => string | null = (column, value) => this.#seal(column, r.id, value)): Row {
    const [[, salt], [, hash], [, prevSalt], [, prevHash]] = secretFields(r);
    return {
      id: r.id,
      name: r.name,
      display_name: r.display_name,
      key_id: r.key_id,
      lookup: r.secret.lookup,
      issuer: r.issuer,
      prefix: r.prefix,
      source: r.source,
      algorithm: r.secret.algorithm,
      salt: seal('salt', salt),
      hash: seal('hash', hash),
      prev_lookup: r.previous?.lookup ?? null,
      prev_algorithm: r.previous?.algorithm ?? null,
      prev_salt: seal('prev_salt', prevSalt),
      prev_hash: seal('prev_hash', prevHash),
      prev_valid_until: r.previous?.valid_until ?? null,
      service_id: r.service?.id ?? null,
      consumer_id: r.consumer?.id ?? null,
      status: r.status,
      expires_at: r.expires_at,
      revoked_at: r.revoked_at,
      last_used_at: r.last_used_at,
      metadata: JSON.stringify(r.metadata),
      cache_key: r.status === 'active' ? nameCacheKey({ service_id: r.service?.id ?? null, consumer_id: r.consumer?.id ?? null }, r.name) : `revoked:${r.id}`,
      created_at: r.created_at,
      updated_at: r.updated_at,
    };
  }
}

/** Narrows a query on api_keys to one owner's keys of one name (see nameCacheKey). */
function byName<Q extends { where(...args: any[]): Q }>(query: Q, owner: ApiKeyOwner, name: string): Q {
  return ownedBy(query.where('name', '=', name), owner);
}

/** Keys `owner` owns: a service's keys, or a consumer's keys that no service owns (see nameCacheKey). */
function ownedBy<Q extends { where(...args: any[]): Q }>(query: Q, owner: ApiKeyOwner): Q {
  return owner.service_id
    ? query.where('service_id', '=', owner.service_id)
    : query.where('service_id', 'is', null).where('consumer_id', '=', owner.consumer_id ?? '');
}

function eventData(r: ApiKeyRecord): Record<string, unknown> {
  return { key_id: r.key_id, consumer_id: r.consumer?.id ?? null, service_id: r.service?.id ?? null };
}

function num(v: unknown): number | null {
  return v == null ? null : Number(v);
}

function decode(row: Row): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    display_name: row.display_name ?? null,
    key_id: row.key_id,
    issuer: row.issuer,
    prefix: row.prefix ?? null,
    source: row.source,
    secret: { lookup: row.lookup, algorithm: row.algorithm, salt: row.salt ?? null, hash: row.hash },
    previous:
      row.prev_lookup && row.prev_hash
        ? {
            lookup: row.prev_lookup,
            algorithm: row.prev_algorithm,
            salt: row.prev_salt ?? null,
            hash: row.prev_hash,
            valid_until: Number(row.prev_valid_until),
          }
        : null,
    service: row.service_id ? { id: row.service_id } : null,
    consumer: row.consumer_id ? { id: row.consumer_id } : null,
    status: row.status,
    expires_at: num(row.expires_at),
    revoked_at: num(row.revoked_at),
    last_used_at: num(row.last_used_at),
    metadata: typeof row.metadata === 'string' ? JSON.parse(row.metadata) : (row.metadata ?? {}),
    created_at: Number(row.created_at),
    updated_at: Number(row.updated_at),
  };
}
