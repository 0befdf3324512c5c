/**
 * The node registry: one row per running process (instance), refreshed by its heartbeat, saying
 * which cluster event it has applied last. `?wait=` on a revoke reads it to know when every live
 * node has applied the revoke; `/clustering/nodes` lists it.
 */
import type { Migration } from './migration.js';
import { columnTypes } from '../dialect.js';

export const migration0006ClusterNodes: Migration = {
  name: '0006_cluster_nodes',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    await db.schema
      .createTable('cluster_nodes')
      // The process's instance id (random at each start), as in cluster_events.node_id.
      .addColumn('instance_id', 'text', (c) => c.primaryKey())
      // The node's name (config node_id, or the host name): for operators, may be shared.
      .addColumn('node_name', 'text', (c) => c.notNull())
      .addColumn('hostname', 'text', (c) => c.notNull())
      .addColumn('pid', 'integer', (c) => c.notNull())
      .addColumn('version', 'text', (c) => c.notNull())
      // Listener addresses as JSON ({"proxy": "host:port", "admin": "host:port", …}).
      .addColumn('addresses', t.json, (c) => c.notNull())
      .addColumn('started_at', t.bigint, (c) => c.notNull())
      .addColumn('heartbeat_at', t.bigint, (c) => c.notNull())
      // Every cluster event with an id ≤ this one has been applied by the node.
      .addColumn('applied_event', t.bigint, (c) => c.notNull())
      // starting | ready | stopping
      .addColumn('state', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('cluster_nodes_heartbeat').on('cluster_nodes').column('heartbeat_at').execute();
  },
};
