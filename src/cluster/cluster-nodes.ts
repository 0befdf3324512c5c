/**
 * The `cluster_nodes` table (migration 0006): one row per running process, written by its own
 * node registry and read by `?wait=` and `/clustering/*`. Written directly with `store.db`, not
 * through a DAO: a heartbeat is not configuration and records no cluster event.
 */
import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../store/dialect.js';
import { SQLITE_SYNCHRONOUS } from '../store/dialects/sqlite.js';

export type NodeState = 'starting' | 'ready' | 'stopping';

/** A process's row as written. */
export interface ClusterNodeRow {
  readonly instance_id: string;
  readonly node_name: string;
  readonly hostname: string;
  readonly pid: number;
  readonly version: string;
  /** Listener addresses, e.g. `{proxy: "0.0.0.0:8000", admin: "127.0.0.1:8001"}`. */
  readonly addresses: Readonly<Record<string, string>>;
  /** Milliseconds since the epoch, like heartbeat_at. */
  readonly started_at: number;
  readonly heartbeat_at: number;
  /** Every cluster event with an id ≤ this one has been applied by the process. */
  readonly applied_event: number;
  readonly state: NodeState;
}

/** A row as read, with whether its heartbeat is recent enough for the node to count. */
export interface ClusterNode extends ClusterNodeRow {
  readonly live: boolean;
}

/** Writes the whole row (inserted again if it was purged meanwhile). */
export async function upsertClusterNode(db: Kysely<any>, row: ClusterNodeRow): Promise<void> {
  const values = { ...row, addresses: JSON.stringify(row.addresses) };
  const { instance_id: _id, started_at: _started, ...changing } = values;
  await db
    .insertInto('cluster_nodes')
    .values(values)
    .onConflict((oc) => oc.column('instance_id').doUpdateSet(changing))
    .execute();
}

/**
 * A heartbeat: updates the columns that change while a process runs; false when its row is not
 * there (never written, or purged by another node while this one could not write), and the caller
 * writes the whole row with upsertClusterNode. SQL rather than the query builder: it runs every
 * cluster_heartbeat_interval on every node, idle or not.
 *
 * On SQLite (`synchronous = FULL`: the WAL is synced at every commit) a heartbeat each second
 * would be an fsync each second on an idle node, for a row that matters only while the process
 * lives. It commits with `synchronous = NORMAL` (in WAL mode: no sync at this commit; its frames
 * are synced by the next FULL commit or checkpoint, and a crash before that loses a heartbeat,
 * nothing else), on the connection held for the three statements, so that no other write commits
 * in between with the lower setting.
 */
export async function touchClusterNode(db: Kysely<any>, dialect: DialectName, row: ClusterNodeRow): Promise<boolean> {
  const update = async (executor: Kysely<any>) => {
    const result = await sql`update cluster_nodes set heartbeat_at = ${row.heartbeat_at}, applied_event = ${row.applied_event},
      state = ${row.state}, addresses = ${JSON.stringify(row.addresses)} where instance_id = ${row.instance_id}`.execute(executor);
    return (result.numAffectedRows ?? 0n) > 0n;
  };
  if (dialect !== 'sqlite') return update(db);
  return db.connection().execute(async (connection) => {
    await sql`pragma synchronous = normal`.execute(connection);
    try {
      return await update(connection);
    } finally {
      await sql.raw(`pragma synchronous = ${SQLITE_SYNCHRONOUS}`).execute(connection);
    }
  });
}

export async function deleteClusterNode(db: Kysely<any>, instanceId: string): Promise<void> {
  await db.deleteFrom('cluster_nodes').where('instance_id', '=', instanceId).execute();
}

/** Deletes rows whose heartbeat is older than `beforeMs` (crashed processes); returns how many. */
export async function purgeClusterNodes(db: Kysely<any>, beforeMs: number): Promise<number> {
  const result = await db.deleteFrom('cluster_nodes').where('heartbeat_at', '<', beforeMs).executeTakeFirst();
  return Number(result.numDeletedRows ?? 0);
}

/** Every registered process, oldest first; `live` when its heartbeat is at most `timeoutMs` old at `now`. */
export async function readClusterNodes(db: Kysely<any>, now: number, timeoutMs: number): Promise<ClusterNode[]> {
  const rows = await db.selectFrom('cluster_nodes').selectAll().orderBy('started_at').orderBy('instance_id').execute();
  return rows.map((r) => {
    const heartbeat = Number(r.heartbeat_at);
    return {
      instance_id: r.instance_id,
      node_name: r.node_name,
      hostname: r.hostname,
      pid: Number(r.pid),
      version: r.version,
      addresses: typeof r.addresses === 'string' ? JSON.parse(r.addresses) : r.addresses,
      started_at: Number(r.started_at),
      heartbeat_at: heartbeat,
      applied_event: Number(r.applied_event),
      state: r.state,
      live: now - heartbeat <= timeoutMs,
    };
  });
}
