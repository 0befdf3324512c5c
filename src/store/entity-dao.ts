/**
 * The generic DAO: reads and writes one entity kind from its definition. Every write runs in a
 * transaction that also records a cluster event, resolves foreign references given by id or
 * name, checks that the ids a `foreignList` field lists exist, applies defaults, normalisation
 * and checks, and cascades or refuses deletes as the referring definitions say. Human-chosen text (the `SafeText` fields of the input schema:
 * usernames, custom ids, tags) is written in NFC and keys in paths are looked up in NFC, so a
 * name typed as `e` + U+0301 and one typed as `é` are one name to the unique indexes too.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { BaseEntity, EntityDefinition, EntityName } from '../entities/entity.js';
import { isUuid } from '../entities/common-schemas.js';
import { normalizeText } from '../schema/safe-text.js';
import { matchesTags, tagCondition, type TagFilter } from './tag-filter.js';
import { PortcullisError, type FieldError } from '../errors/portcullis-error.js';
import { clampPageSize, decodeOffset, encodeOffset, type Page } from './pagination.js';
import type { RowCodec } from './row-codec.js';
import { mapStoreError } from './store-errors.js';
import type { DaoContext, Referrer, TxScope } from './dao-context.js';

export interface ListOptions {
  readonly size?: number;
  readonly offset?: string;
  /** Equality filters by field; a foreign field compares with the referred id. */
  readonly where?: Readonly<Record<string, string | number | boolean | null>>;
  /** Rows whose encrypted fields cannot be decrypted are returned marked UNREADABLE instead of failing the read (store/unreadable.ts). */
  readonly tolerant?: boolean;
  /** Only entities whose `tags` hold all (or any) of these. */
  readonly tags?: TagFilter;
}

type Input = Record<string, unknown>;

export class EntityDao<E extends BaseEntity = BaseEntity> {
  readonly definition: EntityDefinition<E>;
  readonly #codec: RowCodec;
  readonly #ctx: DaoContext;

  constructor(definition: EntityDefinition<E>, codec: RowCodec, ctx: DaoContext) {
    this.definition = definition;
    this.#codec = codec;
    this.#ctx = ctx;
  }

  get #table(): string {
    return this.definition.name;
  }

  /** Finds by id, or by the endpoint key (name, username) when `idOrKey` is not a UUID. */
  async get(idOrKey: string): Promise<E | null> {
    return this.#find(idOrKey, false);
  }

  async #find(idOrKey: string, tolerant: boolean): Promise<E | null> {
    const key = this.definition.endpointKey;
    const byId = isUuid(idOrKey);
    if (!byId && !key) return null;
    return this.#ctx.read(async (db) => {
      const row = await db
        .selectFrom(this.#table)
        .selectAll()
        .where(byId ? 'id' : key!, '=', byId ? idOrKey.toLowerCase() : this.#keyOf(idOrKey))
        .executeTakeFirst();
      return row ? (this.#codec.decode(row, { tolerant }) as unknown as E) : null;
    }, this.#table);
  }

  /** An endpoint key from a path as the store keeps keys: NFC, then the definition's own normalisation. */
  #keyOf(key: string): string {
    const nfc = key.normalize('NFC');
    return this.definition.normalizeKey ? this.definition.normalizeKey(nfc) : nfc;
  }

  async getOrFail(idOrKey: string): Promise<E> {
    const found = await this.get(idOrKey);
    if (!found) throw new PortcullisError('PC_NOT_FOUND', { message: `No ${this.definition.singular} ${JSON.stringify(idOrKey)}` });
    return found;
  }

  async list(options: ListOptions = {}): Promise<Page<E>> {
    const size = clampPageSize(options.size);
    const after = options.offset ? decodeOffset(options.offset) : null;
    return this.#ctx.read(async (db) => {
      let q = db
        .selectFrom(this.#table)
        .selectAll()
        .orderBy('id')
        .limit(size + 1);
      if (after) q = q.where('id', '>', after);
      for (const [field, value] of Object.entries(options.where ?? {})) {
        if (this.definition.fields[field]?.encrypted) throw new Error(`${this.#table}.${field} is encrypted and cannot be a list filter`);
        const column = this.#codec.column(field);
        q = value === null ? q.where(column, 'is', null) : q.where(column, '=', value);
      }
      const tags = options.tags;
      if (tags) {
        if (!this.definition.fields['tags']) throw new Error(`${this.#table} has no tags to filter by`);
        q = q.where((eb) => tagCondition(eb, this.#codec.column('tags'), tags));
      }
      const rows = await q.execute();
      const decodeOptions = { tolerant: options.tolerant === true };
      const page = rows.slice(0, size).map((r) => this.#codec.decode(r, decodeOptions) as unknown as E);
      const last = page[page.length - 1];
      // The SQL narrowed by JSON text; the decoded tags decide (a page may then be one short, never wrong).
      const data = tags ? page.filter((e) => matchesTags(tags, (e as Record<string, unknown>)['tags'])) : page;
      return { data, offset: rows.length > size && last ? encodeOffset(last.id) : null };
    }, this.#table);
  }

  /**
   * Checks `input` as a create would (defaults, references to other entities, the definition's
   * hook and cross-field checks) and writes nothing: 400 PC_VALIDATION_FAILED when it would fail.
   */
  async validate(input: Input): Promise<void> {
    await this.#ctx.write(async (tx) => void (await this.#prepare({ ...this.definition.defaults, ...input }, tx)), this.#table);
  }

  /** The id and tags of every entity (holding `tag`, when given): what `GET /tags` reads. */
  async tagsById(tag?: string): Promise<{ id: string; tags: string[] }[]> {
    if (!this.definition.fields['tags']) return [];
    const column = this.#codec.column('tags');
    const filter: TagFilter | undefined = tag === undefined ? undefined : { mode: 'all', tags: [tag] };
    return this.#ctx.read(async (db) => {
      let q = db.selectFrom(this.#table).select(['id', `${column} as tags`]);
      if (filter) q = q.where((eb) => tagCondition(eb, column, filter));
      const rows = await q.execute();
      return rows
        .map((r) => ({ id: String(r.id), tags: (typeof r.tags === 'string' ? JSON.parse(r.tags) : r.tags) as string[] }))
        .filter((r) => !filter || matchesTags(filter, r.tags));
    }, this.#table);
  }

  /** Every row, page by page (for loading the proxy's state: `tolerant` there). */
  async listAll(where?: ListOptions['where'], options: Pick<ListOptions, 'tolerant'> = {}): Promise<E[]> {
    const all: E[] = [];
    let offset: string | undefined;
    do {
      const page = await this.list({ size: 1000, ...(offset ? { offset } : {}), ...(where ? { where } : {}), ...options });
      all.push(...page.data);
      offset = page.offset ?? undefined;
    } while (offset);
    return all;
  }

  /**
   * The entities whose `foreignList` field lists `id` (tolerant reads: what a delete's reference
   * check needs). The JSON text holds each id in quotes, which narrows the rows read; the decoded
   * list is what decides.
   */
  async listContaining(field: string, id: string): Promise<E[]> {
    if (!this.definition.fields[field]?.foreignList || !isUuid(id)) return [];
    const column = this.#codec.column(field);
    const pattern = `%"${id.toLowerCase()}"%`;
    return this.#ctx.read(async (db) => {
      const rows = await db
        .selectFrom(this.#table)
        .selectAll()
        .where(sql`cast(${sql.ref(column)} as text)`, 'like', pattern)
        .orderBy('id')
        .execute();
      return rows
        .map((r) => this.#codec.decode(r, { tolerant: true }) as unknown as E)
        .filter((e) => {
          const list = (e as unknown as Record<string, unknown>)[field];
          return Array.isArray(list) && list.includes(id.toLowerCase());
        });
    }, this.#table);
  }

  async insert(input: Input, options: { id?: string } = {}): Promise<E> {
    return this.#ctx.write(async (tx) => {
      const now = tx.nowSeconds();
      const prepared = await this.#prepare({ ...this.definition.defaults, ...input }, tx);
      const entity = { ...prepared, id: options.id ?? randomUUID(), created_at: now, updated_at: now };
      await tx.db.insertInto(this.#table).values(this.#codec.encode(entity)).execute();
      tx.recordEvent({ entity: this.#table, entity_id: entity.id, operation: 'create', data: null });
      return this.#codec.decode(this.#codec.encode(entity)) as unknown as E;
    }, this.#table);
  }

  /** PATCH: changes the given fields of an existing entity. */
  async update(idOrKey: string, patch: Input): Promise<E> {
    return this.#ctx.write(async () => {
      const current = await this.getOrFail(idOrKey);
      return this.#replace(current, { ...current, ...patch });
    }, this.#table);
  }

  /** PUT: replaces the entity named by `idOrKey` with `input`, creating it when absent. */
  async upsert(idOrKey: string, input: Input): Promise<{ entity: E; created: boolean }> {
    return this.#ctx.write(async () => {
      const current = await this.get(idOrKey);
      const key = this.definition.endpointKey;
      const named = !isUuid(idOrKey) && key ? { [key]: this.#keyOf(idOrKey) } : {};
      if (current) return { entity: await this.#replace(current, { ...this.definition.defaults, ...input, ...named }), created: false };
      const created = await this.insert({ ...input, ...named }, isUuid(idOrKey) ? { id: idOrKey.toLowerCase() } : {});
      return { entity: created, created: true };
    }, this.#table);
  }

  /**
   * Deletes the entity and, as the referring definitions say, cascades or refuses. Reads are
   * tolerant here: an entity whose encrypted fields cannot be decrypted (key lost) can still be deleted.
   */
  async delete(idOrKey: string): Promise<boolean> {
    return this.#ctx.write(async (tx) => {
      const current = await this.#find(idOrKey, true);
      if (!current) return false;
      const referrers = tx.referrersOf(this.definition.name);
      // A list of ids has no foreign key in the database: the row is locked first, so a write that
      // lists it (and locks it while checking, see #prepare) either waits for this delete or is seen by it.
      if (referrers.some((r) => r.kind === 'list')) await tx.forUpdate(tx.db.selectFrom(this.#table).select('id').where('id', '=', current.id)).execute();
      for (const ref of referrers) {
        const children =
          ref.kind === 'list' ? await ref.dao.listContaining(ref.field, current.id) : await ref.dao.listAll({ [ref.field]: current.id }, { tolerant: true });
        if (children.length === 0) continue;
        if (ref.onDelete === 'restrict') throw stillUsed(this.definition.singular, ref, children);
        for (const child of children) await ref.dao.delete(child.id);
      }
      await tx.db.deleteFrom(this.#table).where('id', '=', current.id).execute();
      tx.recordEvent({ entity: this.#table, entity_id: current.id, operation: 'delete', data: this.eventData(current) });
      return true;
    }, this.#table);
  }

  /** Facts put in a delete event so other nodes can purge caches without reading the row. */
  protected eventData(entity: E): Record<string, unknown> | null {
    void entity;
    return null;
  }

  async #replace(current: E, merged: Input): Promise<E> {
    return this.#ctx.write(async (tx) => {
      const prepared = await this.#prepare(stripBase(merged), tx);
      const entity = { ...prepared, id: current.id, created_at: current.created_at, updated_at: tx.nowSeconds() };
      const row = this.#codec.encode(entity);
      await tx.db.updateTable(this.#table).set(row).where('id', '=', current.id).execute();
      tx.recordEvent({ entity: this.#table, entity_id: current.id, operation: 'update', data: null });
      return this.#codec.decode(row) as unknown as E;
    }, this.#table);
  }

  /** Defaults are applied by the caller; here: normalise, resolve references, hooks, checks. */
  async #prepare(input: Input, tx: TxScope): Promise<Input> {
    const def = this.definition;
    const text = normalizeText(def.inputSchema, input);
    let entity = def.normalize ? def.normalize(text) : { ...text };
    const errors: FieldError[] = [];
    for (const [field, f] of Object.entries(def.fields)) {
      if (f.foreignList && Array.isArray(entity[field])) errors.push(...(await missingIds(tx, f.foreignList, field, entity[field] as unknown[])));
      if (f.kind !== 'foreign' || entity[field] == null) continue;
      const resolved = await this.#ctx.resolveForeign(f.foreign as EntityName, entity[field] as Record<string, string>);
      if (resolved) entity[field] = { id: resolved };
      else errors.push({ path: field, message: `does not refer to an existing ${f.foreign}` });
    }
    if (errors.length === 0) {
      const hooked = await this.#ctx.prepareHook(def.name, entity);
      entity = hooked.entity;
      errors.push(...hooked.errors);
    }
    if (errors.length === 0 && def.check) errors.push(...def.check(entity as unknown as Omit<E, keyof BaseEntity>));
    if (errors.length > 0) {
      throw new PortcullisError('PC_VALIDATION_FAILED', {
        message: `The ${def.singular} is not valid: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`,
        fields: errors,
      });
    }
    return entity;
  }
}

/**
 * Errors for the ids of `list` that name no `target` entity. The rows found are locked until the
 * transaction ends (PostgreSQL), so a concurrent delete of one waits, then sees this write.
 */
async function missingIds(tx: TxScope, target: EntityName, field: string, list: readonly unknown[]): Promise<FieldError[]> {
  const ids = list.filter((v): v is string => typeof v === 'string' && isUuid(v)).map((v) => v.toLowerCase());
  const rows = ids.length === 0 ? [] : await tx.forUpdate(tx.db.selectFrom(target).select('id').where('id', 'in', ids)).execute();
  const found = new Set(rows.map((r) => String(r.id)));
  const errors: FieldError[] = [];
  list.forEach((v, i) => {
    if (typeof v !== 'string' || !found.has(v.toLowerCase())) errors.push({ path: `${field}.${i}`, message: `is not the id of an existing ${target} entity` });
  });
  return errors;
}

/** The 409 of a restricted delete, naming (up to five of) the entities that still use this one. */
function stillUsed(singular: string, ref: Referrer, children: readonly BaseEntity[]): PortcullisError {
  const key = ref.dao.definition.endpointKey;
  const names = children.slice(0, 5).map((c) => {
    const named = key ? (c as unknown as Record<string, unknown>)[key] : null;
    return typeof named === 'string' ? JSON.stringify(named) : c.id;
  });
  const more = children.length > names.length ? ` and ${children.length - names.length} more` : '';
  return new PortcullisError('PC_STORE_REFERENCED', {
    message: `This ${singular} is still used by ${ref.dao.definition.name} ${names.join(', ')}${more} (${ref.field}); delete or change them first`,
  });
}

function stripBase(input: Input): Input {
  const { id: _id, created_at: _c, updated_at: _u, ...rest } = input;
  return rest;
}

export { mapStoreError };
