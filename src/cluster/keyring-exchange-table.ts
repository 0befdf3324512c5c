/**
 * The `keyring_exchange` table (migration 0007): one row per process asking for keyring keys it
 * lacks. The asker writes its ephemeral RSA public key and the ids it wants; a holder writes the
 * keys wrapped for that public key into `answer`, only while no one has (`answer is null`) and only
 * for the public key it wrapped for, so two answerers or a renewed request never clash. Each
 * request and answer records a `keyring_exchange` cluster event (ids only) so the other side reacts
 * at once instead of at its next poll. Key material never appears here in plaintext.
 */
import type { Transaction } from 'kysely';
import type { Store } from '../store/store.js';
import { insertClusterEvent } from '../store/cluster-events.js';
import { mapStoreError } from '../store/store-errors.js';

export interface ExchangeRequest {
  readonly requester: string;
  readonly node_name: string;
  readonly public_key: string;
  /** Whatever the row holds: the responder validates it (it may be written by anyone with database access). */
  readonly wanted: unknown;
  readonly requested_at: number;
  readonly answer: string | null;
  readonly answered_by: string | null;
}

/** The entity name of the cluster events the exchange records. */
export const EXCHANGE_ENTITY = 'keyring_exchange';

/** Writes (or replaces) `requester`'s request: a new public key or wanted list clears any answer. */
export async function putRequest(
  store: Store,
  request: { requester: string; nodeName: string; publicKey: string; wanted: readonly string[] },
  now: number,
): Promise<void> {
  const values = { node_name: request.nodeName, public_key: request.publicKey, wanted: JSON.stringify(request.wanted), requested_at: now };
  const cleared = { ...values, answer: null, answered_by: null, answered_at: null };
  await run(() =>
    store.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('keyring_exchange')
        .values({ requester: request.requester, ...cleared })
        .onConflict((oc) => oc.column('requester').doUpdateSet(cleared))
        .execute();
      await announce(trx, store, 'create', request.requester, now);
    }),
  );
}

/** Renews a request's time (so it is not purged as stale); false when the row is gone. */
export async function touchRequest(store: Store, requester: string, now: number): Promise<boolean> {
  const result = await run(() => store.db.updateTable('keyring_exchange').set({ requested_at: now }).where('requester', '=', requester).executeTakeFirst());
  return Number(result.numUpdatedRows) > 0;
}

export async function readRequest(store: Store, requester: string): Promise<ExchangeRequest | null> {
  const row = await run(() => store.db.selectFrom('keyring_exchange').selectAll().where('requester', '=', requester).executeTakeFirst());
  return row ? toRequest(row) : null;
}

/** Unanswered requests of other processes, oldest first (at most `limit`). */
export async function pendingRequests(store: Store, exceptRequester: string, limit = 100): Promise<ExchangeRequest[]> {
  const rows = await run(() =>
    store.db
      .selectFrom('keyring_exchange')
      .selectAll()
      .where('answer', 'is', null)
      .where('requester', '!=', exceptRequester)
      .orderBy('requested_at')
      .limit(limit)
      .execute(),
  );
  return rows.map(toRequest);
}

/** Answers a request still unanswered and still asking for `publicKey`; false when another answer or a renewed request came first. */
export async function answerRequest(
  store: Store,
  answer: { requester: string; publicKey: string; answer: string; answeredBy: string },
  now: number,
): Promise<boolean> {
  return run(() =>
    store.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('keyring_exchange')
        .set({ answer: answer.answer, answered_by: answer.answeredBy, answered_at: now })
        .where('requester', '=', answer.requester)
        .where('public_key', '=', answer.publicKey)
        .where('answer', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      await announce(trx, store, 'update', answer.requester, now);
      return true;
    }),
  );
}

export async function deleteRequest(store: Store, requester: string): Promise<void> {
  await run(() => store.db.deleteFrom('keyring_exchange').where('requester', '=', requester).execute());
}

/** Deletes requests not renewed since `beforeMs` (their process is gone); returns how many. */
export async function purgeStaleRequests(store: Store, beforeMs: number): Promise<number> {
  const result = await run(() => store.db.deleteFrom('keyring_exchange').where('requested_at', '<', beforeMs).executeTakeFirst());
  return Number(result.numDeletedRows ?? 0);
}

function toRequest(row: Record<string, unknown>): ExchangeRequest {
  let wanted: unknown = row['wanted'];
  if (typeof wanted === 'string') {
    try {
      wanted = JSON.parse(wanted);
    } catch {
      wanted = null;
    }
  }
  return {
    requester: String(row['requester']),
    node_name: String(row['node_name']),
    public_key: String(row['public_key']),
    wanted,
    requested_at: Number(row['requested_at']),
    answer: row['answer'] == null ? null : String(row['answer']),
    answered_by: row['answered_by'] == null ? null : String(row['answered_by']),
  };
}

async function run<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw mapStoreError(err, 'keyring_exchange');
  }
}

/** The cluster event of a request or an answer (ids only: the other side reads the row at once). */
function announce(trx: Transaction<any>, store: Store, operation: 'create' | 'update', requester: string, now: number) {
  return insertClusterEvent(trx, store.dialect, store.nodeId, { entity: EXCHANGE_ENTITY, entity_id: requester, operation, data: null }, now);
}
