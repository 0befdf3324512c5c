/**
 * The gateway core: services, routes, consumers, plugins, and the cluster_events table every
 * proxy-visible write records a row in (same transaction), which the cluster work builds on.
 */
import { sql } from 'kysely';
import type { Migration } from './migration.js';
import { columnTypes } from '../dialect.js';

export const migration0001Core: Migration = {
  name: '0001_core',
  async up(db, dialect) {
    const t = columnTypes(dialect);
    const timestamps = (b: any) => b.addColumn('created_at', t.bigint, (c: any) => c.notNull()).addColumn('updated_at', t.bigint, (c: any) => c.notNull());

    await timestamps(
      db.schema
        .createTable('services')
        .addColumn('id', t.uuid, (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.unique())
        .addColumn('protocol', 'text', (c) => c.notNull())
        .addColumn('host', 'text', (c) => c.notNull())
        .addColumn('port', 'integer', (c) => c.notNull())
        .addColumn('path', 'text')
        .addColumn('connect_timeout', 'integer')
        .addColumn('read_timeout', 'integer')
        .addColumn('write_timeout', 'integer')
        .addColumn('retries', 'integer', (c) => c.notNull())
        .addColumn('enabled', t.boolean, (c) => c.notNull())
        .addColumn('tags', t.json, (c) => c.notNull()),
    ).execute();

    await timestamps(
      db.schema
        .createTable('routes')
        .addColumn('id', t.uuid, (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.unique())
        .addColumn('service_id', t.uuid, (c) => c.references('services.id').onDelete('restrict'))
        .addColumn('protocols', t.json, (c) => c.notNull())
        .addColumn('paths', t.json, (c) => c.notNull())
        .addColumn('methods', t.json, (c) => c.notNull())
        .addColumn('hosts', t.json, (c) => c.notNull())
        .addColumn('headers', t.json, (c) => c.notNull())
        .addColumn('strip_path', t.boolean, (c) => c.notNull())
        .addColumn('preserve_host', t.boolean, (c) => c.notNull())
        .addColumn('regex_priority', 'integer', (c) => c.notNull())
        .addColumn('tags', t.json, (c) => c.notNull()),
    ).execute();
    await db.schema.createIndex('routes_service_id_idx').on('routes').column('service_id').execute();

    await timestamps(
      db.schema
        .createTable('consumers')
        .addColumn('id', t.uuid, (c) => c.primaryKey())
        .addColumn('username', 'text', (c) => c.unique())
        .addColumn('custom_id', 'text', (c) => c.unique())
        .addColumn('tags', t.json, (c) => c.notNull()),
    ).execute();

    await timestamps(
      db.schema
        .createTable('plugins')
        .addColumn('id', t.uuid, (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('config', t.json, (c) => c.notNull())
        .addColumn('service_id', t.uuid, (c) => c.references('services.id').onDelete('cascade'))
        .addColumn('route_id', t.uuid, (c) => c.references('routes.id').onDelete('cascade'))
        .addColumn('consumer_id', t.uuid, (c) => c.references('consumers.id').onDelete('cascade'))
        .addColumn('enabled', t.boolean, (c) => c.notNull())
        .addColumn('tags', t.json, (c) => c.notNull())
        // name|service|route|consumer: unique even where some are null (NULLs never collide in SQL).
        .addColumn('cache_key', 'text', (c) => c.notNull().unique()),
    ).execute();
    for (const col of ['service_id', 'route_id', 'consumer_id']) {
      await db.schema.createIndex(`plugins_${col}_idx`).on('plugins').column(col).execute();
    }

    let events = db.schema.createTable('cluster_events');
    events =
      dialect === 'postgres'
        ? events.addColumn('id', 'bigserial', (c) => c.primaryKey())
        : events.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
    await events
      .addColumn('node_id', 'text', (c) => c.notNull())
      .addColumn('entity', 'text', (c) => c.notNull())
      .addColumn('entity_id', 'text', (c) => c.notNull())
      .addColumn('operation', 'text', (c) => c.notNull())
      .addColumn('data', t.json)
      .addColumn('created_at', t.bigint, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('cluster_events_created_at_idx').on('cluster_events').column('created_at').execute();
    void sql;
  },
};
