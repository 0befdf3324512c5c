/**
 * The keyring's rows in the database (never key material in plaintext): `keyring_keys` (id, key
 * check value, active, encryptions, times) and `keyring_blobs` (the recovery copy, wrapped under
 * `keyring_recovery_public_key`). Every change runs under `withKeyringLock`, which serialises
 * keyring changes of every process on the database (SQLite: the write lock taken at BEGIN;
 * PostgreSQL: a transaction-scoped advisory lock), and records a `keyring` cluster event so other
 * processes on the database reload.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Store } from '../store/store.js';
import { insertClusterEvent } from '../store/cluster-events.js';
import { mapStoreError } from '../store/store-errors.js';

export interface KeyMetadata {
  readonly id: string;
  readonly kcv: string;
  readonly active: boolean;
  readonly encryptions: number;
  readonly created_at: number;
  readonly activated_at: number | null;
}

type Executor = Kysely<any> | Transaction<any>;

/** An arbitrary constant: the advisory lock every keyring change takes on PostgreSQL. */
const PG_LOCK_ID = 0x6b657972; // "keyr"
export const RECOVERY_BLOB = 'recovery';

export async function readKeyMetadata(db: Executor): Promise<KeyMetadata[]> {
  const rows = await db.selectFrom('keyring_keys').selectAll().orderBy('created_at').orderBy('id').execute();
  return rows.map((r) => ({
    id: r.id,
    kcv: r.kcv,
    active: r.active === true || r.active === 1,
    encryptions: Number(r.encryptions),
    created_at: Number(r.created_at),
    activated_at: r.activated_at == null ? null : Number(r.activated_at),
  }));
}

export interface KeyringTx {
  readonly db: Transaction<any>;
  readonly keys: readonly KeyMetadata[];
  insertKey(key: { id: string; kcv: string; created_at: number }): Promise<void>;
  /** Makes `id` the only active key. */
  activate(id: string, nowSeconds: number): Promise<void>;
  deleteKey(id: string): Promise<void>;
  saveBlob(name: string, blob: string, nowSeconds: number): Promise<void>;
  /** Tells the other processes on this database to reload the keyring (after commit). */
  announce(what: string, keyId: string | null): void;
}

/** Runs `fn` holding the keyring lock, in one transaction, with the current metadata. */
export async function withKeyringLock<T>(store: Store, fn: (tx: KeyringTx) => Promise<T>): Promise<T> {
  try {
    return await store.db.transaction().execute(async (trx) => {
      if (store.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${PG_LOCK_ID})`.execute(trx);
      const announcements: { what: string; keyId: string | null }[] = [];
      const tx: KeyringTx = {
        db: trx,
        keys: await readKeyMetadata(trx),
        async insertKey(key) {
          await trx
            .insertInto('keyring_keys')
            .values({
              id: key.id,
              kcv: key.kcv,
              active: store.dialect === 'sqlite' ? 0 : false,
              encryptions: 0,
              created_at: key.created_at,
              activated_at: null,
            })
            .execute();
        },
        async activate(id, nowSeconds) {
          const off = store.dialect === 'sqlite' ? 0 : false;
          const on = store.dialect === 'sqlite' ? 1 : true;
          await trx.updateTable('keyring_keys').set({ active: off }).where('id', '!=', id).execute();
          await trx.updateTable('keyring_keys').set({ active: on, activated_at: nowSeconds }).where('id', '=', id).execute();
        },
        async deleteKey(id) {
          await trx.deleteFrom('keyring_keys').where('id', '=', id).execute();
        },
        async saveBlob(name, blob, nowSeconds) {
          await trx
            .insertInto('keyring_blobs')
            .values({ name, blob, updated_at: nowSeconds })
            .onConflict((oc) => oc.column('name').doUpdateSet({ blob, updated_at: nowSeconds }))
            .execute();
        },
        announce(what, keyId) {
          announcements.push({ what, keyId });
        },
      };
      const result = await fn(tx);
      for (const a of announcements) {
        await insertClusterEvent(
          trx,
          store.dialect,
          store.nodeId,
          { entity: 'keyring', entity_id: a.keyId ?? '-', operation: 'update', data: { change: a.what } },
          Date.now(),
        );
      }
      return result;
    });
  } catch (err) {
    throw mapStoreError(err, 'keyring');
  }
}

export async function readBlob(store: Store, name: string): Promise<string | null> {
  try {
    const row = await store.db.selectFrom('keyring_blobs').select('blob').where('name', '=', name).executeTakeFirst();
    return row ? String(row.blob) : null;
  } catch (err) {
    throw mapStoreError(err, 'keyring');
  }
}

/** Adds encryptions counted in memory to the persisted counts (all nodes add to one number). */
export async function addEncryptions(store: Store, counts: ReadonlyMap<string, number>): Promise<void> {
  if (counts.size === 0) return;
  try {
    await store.db.transaction().execute(async (trx) => {
      for (const [id, n] of [...counts].sort(([a], [b]) => (a < b ? -1 : 1))) {
        await trx
          .updateTable('keyring_keys')
          .set({ encryptions: sql`encryptions + ${n}` })
          .where('id', '=', id)
          .execute();
      }
    });
  } catch (err) {
    throw mapStoreError(err, 'keyring');
  }
}
