/**
 * The `cluster_events` table: one row per write that changes what a proxy sees, inserted in the
 * same transaction as the write (DESIGN §3.5). Nodes read rows newer than the last id they saw.
 * On PostgreSQL the insert also notifies `EVENTS_CHANNEL` with the new id, which the server
 * delivers at commit (never after a rollback): listening nodes read the table at once.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { DialectName } from './dialect.js';

export type ClusterOperation = 'create' | 'update' | 'delete';

export interface ClusterEvent {
  readonly id: number;
  readonly node_id: string;
  readonly entity: string;
  readonly entity_id: string;
  readonly operation: ClusterOperation;
  /** Small facts consumers need to invalidate caches (e.g. an API key's public id); never a secret. */
  readonly data: Readonly<Record<string, unknown>> | null;
  /** Milliseconds since the epoch. */
  readonly created_at: number;
}

export type NewClusterEvent = Omit<ClusterEvent, 'id' | 'created_at' | 'node_id'>;

type Executor = Kysely<any> | Transaction<any>;

/** The NOTIFY channel of new events; the payload is the event id alone, never data. */
export const EVENTS_CHANNEL = 'portcullis_events';

export async function insertClusterEvent(db: Executor, dialect: DialectName, nodeId: string, event: NewClusterEvent, now: number): Promise<ClusterEvent> {
  const row = {
    node_id: nodeId,
    entity: event.entity,
    entity_id: event.entity_id,
    operation: event.operation,
    data: event.data ? JSON.stringify(event.data) : null,
    created_at: now,
  };
  // One round trip on PostgreSQL too: the insert and its notification in one statement.
  const inserted =
    dialect === 'postgres'
      ? await db
          .with('ins', (d) => d.insertInto('cluster_events').values(row).returning('id'))
          .selectFrom('ins')
          .select(['ins.id', sql`pg_notify(${EVENTS_CHANNEL}, ins.id::text)`.as('notified')])
          .executeTakeFirstOrThrow()
      : await db.insertInto('cluster_events').values(row).returning('id').executeTakeFirstOrThrow();
  return { ...event, id: Number(inserted.id), node_id: nodeId, created_at: now };
}

/** Events with an id above `afterId`, oldest first, at most `limit`. */
export async function readClusterEvents(db: Executor, afterId: number, limit = 1000): Promise<ClusterEvent[]> {
  // Written as SQL, not with the query builder: every node runs this every cluster_poll_interval
  // (200 ms) even when idle, and building the query each time was most of an idle node's own
  // JavaScript (and, hot, got optimized: TurboFan's code and its output resident in a node that
  // serves nothing).
  const { rows } = await sql<EventRow>`select id, node_id, entity, entity_id, operation, data, created_at
    from cluster_events where id > ${afterId} order by id limit ${limit}`.execute(db);
  return rows.map((r) => ({
    id: Number(r.id),
    node_id: r.node_id,
    entity: r.entity,
    entity_id: r.entity_id,
    operation: r.operation,
    data: r.data == null ? null : typeof r.data === 'string' ? JSON.parse(r.data) : r.data,
    created_at: Number(r.created_at),
  }));
}

/** A row as the drivers return it: ids and times may come as strings or bigints, `data` as text (SQLite) or JSON (PostgreSQL). */
interface EventRow {
  readonly id: number | string | bigint;
  readonly node_id: string;
  readonly entity: string;
  readonly entity_id: string;
  readonly operation: ClusterOperation;
  readonly data: string | Record<string, unknown> | null;
  readonly created_at: number | string | bigint;
}

export async function latestClusterEventId(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('cluster_events')
    .select((eb) => eb.fn.max('id').as('max'))
    .executeTakeFirst();
  return Number(row?.max ?? 0);
}

/** Deletes events older than `beforeMs`; returns how many. */
export async function pruneClusterEvents(db: Executor, beforeMs: number): Promise<number> {
  const result = await db.deleteFrom('cluster_events').where('created_at', '<', beforeMs).executeTakeFirst();
  return Number(result.numDeletedRows ?? 0);
}
