/**
 * What DAOs share: the current transaction (carried by AsyncLocalStorage, so a DAO called inside
 * another DAO's write joins that transaction instead of waiting for the connection), the events
 * recorded in it (published to listeners only after commit), error mapping, foreign-key lookups
 * and the per-entity prepare hooks supplied by the composition root (e.g. plugin config schemas).
 * `collectEvents` tells a caller (an Admin API handler) which events its writes committed, so a
 * revoke can answer with its event id and wait until every node applied it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Kysely, Transaction } from 'kysely';
import type { EntityName } from '../entities/entity.js';
import type { FieldError } from '../errors/portcullis-error.js';
import { insertClusterEvent, type ClusterEvent, type NewClusterEvent } from './cluster-events.js';
import type { DialectName } from './dialect.js';
import { mapStoreError } from './store-errors.js';
import type { EntityDao } from './entity-dao.js';

export type Executor = Kysely<any> | Transaction<any>;

export interface PrepareResult {
  readonly entity: Record<string, unknown>;
  readonly errors: FieldError[];
}

/** Adjusts or rejects an entity before it is written (may be async: e.g. hashing a password). */
export type PrepareHook = (entity: Record<string, unknown>) => PrepareResult | Promise<PrepareResult>;

export interface Referrer {
  readonly dao: EntityDao;
  readonly field: string;
  /** `foreign`: a foreign field holds the id; `list`: a `foreignList` field lists it (always restrict). */
  readonly kind: 'foreign' | 'list';
  readonly onDelete: 'cascade' | 'restrict';
}

/** A SELECT that can take row locks (Kysely's select builder). */
export interface Lockable<Q> {
  forUpdate(): Q;
}

export interface TxScope {
  readonly db: Transaction<any>;
  /**
   * Makes a SELECT lock the rows it returns until the transaction ends (`FOR UPDATE` on
   * PostgreSQL, which also waits for a concurrent writer of those rows and then re-checks the
   * WHERE against what it committed). SQLite has no row locks and needs none: its transactions
   * hold the database's write lock from BEGIN (see dialects/sqlite.ts).
   */
  forUpdate<Q extends Lockable<Q>>(query: Q): Q;
  nowSeconds(): number;
  recordEvent(event: NewClusterEvent): void;
  referrersOf(entity: EntityName): readonly Referrer[];
}

export interface DaoContext {
  read<T>(fn: (db: Executor) => Promise<T>, entity: string): Promise<T>;
  write<T>(fn: (tx: TxScope) => Promise<T>, entity: string): Promise<T>;
  /** Runs `fn` in the current transaction; throws when there is none (row locks taken by `fn` would end at once). */
  joinTransaction<T>(fn: (tx: TxScope) => Promise<T>, entity: string): Promise<T>;
  resolveForeign(entity: EntityName, ref: Record<string, string>): Promise<string | null>;
  prepareHook(entity: EntityName, value: Record<string, unknown>): Promise<PrepareResult>;
  /** Runs `fn` and returns what it returned with the events every write inside it committed (id order). */
  collectEvents<T>(fn: () => Promise<T>): Promise<Collected<T>>;
}

/** A result and the cluster events committed while computing it. */
export interface Collected<T> {
  readonly value: T;
  readonly events: readonly ClusterEvent[];
}

export interface DaoContextOptions {
  readonly db: Kysely<any>;
  readonly dialect: DialectName;
  readonly nodeId: string;
  readonly now: () => number;
  readonly hooks: Partial<Record<EntityName, PrepareHook>>;
  readonly daos: () => ReadonlyMap<EntityName, EntityDao>;
  readonly publish: (events: ClusterEvent[]) => void;
}

interface Scope extends TxScope {
  readonly pending: NewClusterEvent[];
}

export function createDaoContext(options: DaoContextOptions): DaoContext {
  const current = new AsyncLocalStorage<Scope>();
  // On Node 20 an enabled AsyncLocalStorage turns on async hooks for the whole process, which
  // costs every proxied request a few µs. It is enabled only while a transaction runs.
  let openTransactions = 0;
  // Same reasoning: the collector is enabled only while some caller collects.
  const collector = new AsyncLocalStorage<ClusterEvent[]>();
  let openCollections = 0;

  const referrersOf = (entity: EntityName): Referrer[] => {
    const out: Referrer[] = [];
    for (const dao of options.daos().values()) {
      for (const [field, f] of Object.entries(dao.definition.fields)) {
        if (f.kind === 'foreign' && f.foreign === entity) out.push({ dao, field, kind: 'foreign', onDelete: f.onDelete ?? 'restrict' });
        else if (f.foreignList === entity) out.push({ dao, field, kind: 'list', onDelete: 'restrict' });
      }
    }
    return out;
  };

  const ctx: DaoContext = {
    async read(fn, entity) {
      try {
        return await fn(current.getStore()?.db ?? options.db);
      } catch (err) {
        throw mapStoreError(err, entity);
      }
    },
    async write(fn, entity) {
      if (current.getStore()) return ctx.joinTransaction(fn, entity);
      const events: ClusterEvent[] = [];
      let result: Awaited<ReturnType<typeof fn>>;
      openTransactions++;
      try {
        result = await options.db.transaction().execute(async (trx) => {
          const scope: Scope = {
            db: trx,
            forUpdate: (query) => (options.dialect === 'postgres' ? query.forUpdate() : query),
            pending: [],
            nowSeconds: () => Math.floor(options.now() / 1000),
            recordEvent: (e) => scope.pending.push(e),
            referrersOf,
          };
          const value = await current.run(scope, () => fn(scope));
          for (const e of scope.pending) events.push(await insertClusterEvent(trx, options.dialect, options.nodeId, e, options.now()));
          return value;
        });
      } catch (err) {
        throw mapStoreError(err, entity);
      } finally {
        if (--openTransactions === 0) current.disable();
      }
      if (events.length > 0) {
        collector.getStore()?.push(...events);
        options.publish(events);
      }
      return result;
    },
    async joinTransaction(fn, entity) {
      const outer = current.getStore();
      if (!outer) throw new Error(`${entity}: this operation locks rows and must run inside store.transaction`);
      // Mapped here too, so the error names this entity rather than the outer transaction.
      try {
        return await fn(outer);
      } catch (err) {
        throw mapStoreError(err, entity);
      }
    },
    async resolveForeign(entity, ref) {
      const dao = options.daos().get(entity);
      if (!dao) return null;
      const key = ref['id'] ?? ref['name'] ?? ref['username'];
      if (typeof key !== 'string') return null;
      if (ref['id'] === undefined && dao.definition.endpointKey !== (ref['name'] !== undefined ? 'name' : 'username')) return null;
      return (await dao.get(key))?.id ?? null;
    },
    async prepareHook(entity, value) {
      const hook = options.hooks[entity];
      return hook ? hook(value) : { entity: value, errors: [] };
    },
    async collectEvents(fn) {
      const events: ClusterEvent[] = [];
      openCollections++;
      try {
        const value = await collector.run(events, fn);
        return { value, events: events.sort((a, b) => a.id - b.id) };
      } finally {
        if (--openCollections === 0) collector.disable();
      }
    },
  };
  return ctx;
}
