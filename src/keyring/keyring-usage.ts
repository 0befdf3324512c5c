/**
 * Which key encrypts what: walks every column that may hold `$ke$` values (`store.encryptedColumns`)
 * in id-ordered batches, so memory stays bounded whatever the size of the tables, and counts the
 * ciphertexts per key id, in total and by table, and the plaintext values of scalar encrypted
 * columns (written before encryption existed). The rewrap (rewrap.ts) walks the same way.
 *
 * A value of a scalar column is the column's value; in a JSON column, each `$ke$` string inside
 * is one value (its other strings are configuration, not values of an encrypted field). A value
 * with the marker that is not a well-formed ciphertext names no key reliably and is counted
 * nowhere; the rewrap reports it as failed.
 */
import type { Kysely } from 'kysely';
import type { DialectName } from '../store/dialect.js';
import { isEncryptedValue } from '../store/field-cipher.js';
import { mapStrings } from '../store/row-codec.js';
import type { EncryptedColumn, Store } from '../store/store.js';
import { ciphertextKeyId } from './keyring-cipher.js';
import type { KeyringUsage } from './keyring-service.js';

export const DEFAULT_BATCH_SIZE = 500;

/** One row of an encrypted column, its value as the driver returned it (for compare-and-set). */
export interface StoredRow {
  readonly id: string;
  readonly raw: unknown;
}

/** Up to `limit` rows of `column` with a non-null value and an id after `after`, in id order. */
export async function readColumnBatch(db: Kysely<any>, column: EncryptedColumn, after: string | null, limit: number): Promise<StoredRow[]> {
  let query = db
    .selectFrom(column.table)
    .select(['id', `${column.column} as raw`])
    .where(column.column, 'is not', null)
    .orderBy('id')
    .limit(limit);
  if (after !== null) query = query.where('id', '>', after);
  return (await query.execute()) as StoredRow[];
}

/** A JSON column's value as read: text on SQLite, already parsed (jsonb) on PostgreSQL. */
export function parseJsonColumn(dialect: DialectName, raw: unknown): unknown {
  return dialect === 'sqlite' ? JSON.parse(raw as string) : raw;
}

/** Calls `visit` with every value of every encrypted column (see the header), batch by batch. */
export async function forEachStoredValue(
  store: Pick<Store, 'db' | 'dialect' | 'encryptedColumns'>,
  visit: (column: EncryptedColumn, value: unknown) => void,
  batchSize: number = DEFAULT_BATCH_SIZE,
): Promise<void> {
  for (const column of store.encryptedColumns) {
    let after: string | null = null;
    for (;;) {
      const rows = await readColumnBatch(store.db, column, after, batchSize);
      for (const row of rows) {
        if (!column.json) visit(column, row.raw);
        else {
          mapStrings(parseJsonColumn(store.dialect, row.raw), column.column, (v) => {
            if (isEncryptedValue(v)) visit(column, v);
            return v;
          });
        }
      }
      if (rows.length < batchSize) break;
      after = rows[rows.length - 1]!.id;
    }
  }
}

/** Stored values per key id (in total and by table) and plaintext values left in encrypted columns. */
export async function countKeyringUsage(store: Store, options: { readonly batchSize?: number } = {}): Promise<KeyringUsage> {
  // Key ids are 8 chars of [A-Za-z0-9]: never a name Object.prototype has.
  const keys: Record<string, { total: number; by_entity: Record<string, number> }> = {};
  let plaintext = 0;
  await forEachStoredValue(
    store,
    (column, value) => {
      if (!isEncryptedValue(value)) {
        plaintext++;
        return;
      }
      const id = ciphertextKeyId(value);
      if (id === null) return;
      const entry = (keys[id] ??= { total: 0, by_entity: {} });
      entry.total++;
      entry.by_entity[column.table] = (entry.by_entity[column.table] ?? 0) + 1;
    },
    options.batchSize,
  );
  return { keys, plaintext };
}
