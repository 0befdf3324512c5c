/**
 * The Store: one database (SQLite or PostgreSQL), its migrations, a DAO per entity, and the
 * cluster events its writes record. Built once by the composition root; tests build their own.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { sql, type Kysely } from 'kysely';
import type { Config } from '../config/schema.js';
import { checkEntityDefinition, type EntityDefinition, type EntityName } from '../entities/entity.js';
import { servicesDefinition, type Service } from '../entities/services.js';
import { routesDefinition, type Route } from '../entities/routes.js';
import { consumersDefinition, type Consumer } from '../entities/consumers.js';
import { pluginsDefinition, type PluginConfig } from '../entities/plugins.js';
import { basicAuthCredentialsDefinition, type BasicAuthCredential } from '../entities/basicauth-credentials.js';
import { vaultsDefinition, type Vault } from '../entities/vaults.js';
import { certificatesDefinition } from '../entities/certificates.js';
import { snisDefinition, type Sni } from '../entities/snis.js';
import { caCertificatesDefinition, type CaCertificate } from '../entities/ca-certificates.js';
import { CertificateDao } from './certificate-dao.js';
import { VaultSecretDao } from './vault-secret-dao.js';
import { API_KEY_ENCRYPTED_COLUMNS, ApiKeyDao } from './api-key-dao.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import { createSqliteDatabase } from './dialects/sqlite.js';
import { createPostgresDatabase, type PostgresListener, type PostgresListenerHandlers } from './dialects/postgres.js';
import type { DialectName } from './dialect.js';
import { createDaoContext, type Collected, type PrepareHook } from './dao-context.js';
import { EntityDao } from './entity-dao.js';
import { createRowCodec, type NestedEncryption, type RowCodec } from './row-codec.js';
import type { FieldCipher } from './field-cipher.js';
import { latestClusterEventId, pruneClusterEvents, readClusterEvents, type ClusterEvent, type NewClusterEvent } from './cluster-events.js';
import { migrateUp, migrationStatus, pendingMigrations, type MigrateResult, type MigrationStatus } from './migrator.js';
import { mapStoreError } from './store-errors.js';
import { createSqliteFileGuard } from './dialects/sqlite-file-guard.js';
import { ensureDatabaseMarker, refuseMissingDatabase } from './database-marker.js';
import { createStorageHealth, type StorageStatus } from './storage-health.js';
import { createStorageProbe } from './storage-probe.js';
import { guardWrites } from './guarded-writes.js';

/** How often a PostgreSQL seen unreachable is pinged in the background while requests fail fast. */
const FAIL_FAST_RECHECK_MS = 1000;

export type DatabaseConfig = Pick<
  Config,
  'database' | 'sqlite_path' | 'pg_host' | 'pg_port' | 'pg_user' | 'pg_password' | 'pg_database' | 'pg_ssl' | 'pg_max_connections'
> & { readonly pg_url?: string; readonly pg_connect_timeout?: number; readonly pg_query_timeout?: number };

export interface StoreOptions {
  readonly config: DatabaseConfig;
  /** Written in every cluster event so a node can skip its own; random when absent. */
  readonly nodeId?: string;
  /**
   * Encrypts and decrypts the `encrypted` fields: the keyring's cipher (see node/store-parts.ts).
   * Required: a store without a keyring exists only in tests (store/testing/).
   */
  readonly cipher: FieldCipher;
  /** Fields encrypted inside JSON fields, per entity (e.g. plugin config fields whose schema says `encrypted`). */
  readonly nestedEncryption?: Partial<Record<EntityName, NestedEncryption>>;
  readonly hooks?: Partial<Record<EntityName, PrepareHook>>;
  readonly now?: () => number;
  /** The PostgreSQL password from a vault reference, fetched for each new connection (`fresh` after a refusal). */
  readonly pgPassword?: (fresh: boolean) => Promise<string>;
}

/** A column whose values may be `$ke$` ciphertexts (what a rewrap walks and usage counts). */
export interface EncryptedColumn {
  readonly table: string;
  readonly column: string;
  /** A JSON column: `$ke$` strings inside it, with the AAD field `<column>.<path>`. */
  readonly json: boolean;
}

export type CommitListener = (events: readonly ClusterEvent[]) => void;

export interface Store {
  readonly dialect: DialectName;
  readonly nodeId: string;
  readonly db: Kysely<any>;
  readonly services: EntityDao<Service>;
  readonly routes: EntityDao<Route>;
  readonly consumers: EntityDao<Consumer>;
  readonly plugins: EntityDao<PluginConfig>;
  readonly basicAuthCredentials: EntityDao<BasicAuthCredential>;
  readonly vaults: EntityDao<Vault>;
  /** TLS certificates; reads carry their SNI names, writes take Kong's `snis` shorthand. */
  readonly certificates: CertificateDao;
  readonly snis: EntityDao<Sni>;
  readonly caCertificates: EntityDao<CaCertificate>;
  readonly apiKeys: ApiKeyDao;
  /** The built-in `store` vault backend's secrets. */
  readonly vaultSecrets: VaultSecretDao;
  /** Every column that may hold encrypted values. */
  readonly encryptedColumns: readonly EncryptedColumn[];
  dao(name: EntityName): EntityDao | undefined;
  /** Runs `fn` in one transaction: every DAO write inside joins it; events publish after commit. */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  /** Records an event with no entity write (e.g. a remote issuer's revocations), in its own transaction or the current one. */
  recordEvent(event: NewClusterEvent): Promise<void>;
  /** Runs `fn`, returning its value and the cluster events its writes committed (e.g. to answer with a revoke's event id). */
  collectEvents<T>(fn: () => Promise<T>): Promise<Collected<T>>;
  /** Called with the events of each committed local write. Returns an unsubscribe function. */
  onCommit(listener: CommitListener): () => void;
  /**
   * PostgreSQL only: opens a dedicated connection (the store's settings, password and TLS) that
   * `LISTEN`s on `channel`. Absent on SQLite, which has no notifications.
   */
  readonly openListener?: (channel: string, handlers: PostgresListenerHandlers) => Promise<PostgresListener>;
  readonly events: {
    since(afterId: number, limit?: number): Promise<ClusterEvent[]>;
    latestId(): Promise<number>;
    prune(beforeMs: number): Promise<number>;
  };
  migrate(): Promise<MigrateResult>;
  migrationStatus(): Promise<MigrationStatus[]>;
  pendingMigrations(): Promise<string[]>;
  /** Resolves when the database answers a trivial query; throws PC_STORE_UNAVAILABLE otherwise. */
  ping(): Promise<void>;
  /** Whether the database can take writes now (see storage-health.ts), and its changes. */
  readonly storage: StorageStatus;
  close(): Promise<void>;
}

/**
 * Opens the database. A SQLite file is checked against its marker first (a missing database
 * whose marker remains stops here with PC_STORE_UNAVAILABLE, before SQLite would create an empty
 * one), and gets a marker and a file guard once open.
 */
export function createStore(options: StoreOptions): Store {
  const { config } = options;
  const dialect: DialectName = config.database;
  const sqliteFile = dialect === 'sqlite' && config.sqlite_path !== ':memory:' ? config.sqlite_path : null;
  const created = sqliteFile !== null && !existsSync(sqliteFile);
  if (sqliteFile) refuseMissingDatabase(sqliteFile);
  const postgres =
    dialect === 'postgres'
      ? createPostgresDatabase({
          host: config.pg_host,
          port: config.pg_port,
          user: config.pg_user,
          password: options.pgPassword ?? config.pg_password,
          database: config.pg_database,
          ssl: config.pg_ssl,
          maxConnections: config.pg_max_connections,
          ...(config.pg_connect_timeout !== undefined ? { connectTimeout: config.pg_connect_timeout } : {}),
          ...(config.pg_query_timeout !== undefined ? { queryTimeout: config.pg_query_timeout } : {}),
          ...(config.pg_url ? { connectionString: config.pg_url } : {}),
        })
      : null;
  const db = postgres ? postgres.db : createSqliteDatabase({ path: config.sqlite_path });
  if (sqliteFile) ensureDatabaseMarker(sqliteFile, created);
  const guard = sqliteFile ? createSqliteFileGuard(sqliteFile) : null;
  const ping = async () => {
    try {
      await sql`select 1`.execute(db);
    } catch (err) {
      const mapped = mapStoreError(err, 'database');
      throw mapped instanceof PortcullisError ? mapped : new PortcullisError('PC_STORE_UNAVAILABLE', { cause: err });
    }
  };
  const health = createStorageHealth({
    guard,
    ping,
    probe: createStorageProbe({ db, dialect, ...(sqliteFile ? { folder: dirname(sqliteFile) } : {}) }),
    // PostgreSQL unreachable: answer 503 at once while it lasts (a SQLite busy lock is no outage).
    failFastMs: dialect === 'postgres' ? FAIL_FAST_RECHECK_MS : 0,
  });
  const nodeId = options.nodeId ?? randomUUID();
  const { cipher } = options;
  if (!cipher) throw new Error('createStore needs a field cipher (the keyring); tests use store/testing/');
  const listeners = new Set<CommitListener>();
  const daos = new Map<EntityName, EntityDao>();
  const ctx = guardWrites(
    createDaoContext({
      db,
      dialect,
      nodeId,
      now: options.now ?? Date.now,
      hooks: options.hooks ?? {},
      daos: () => daos,
      publish: (events) => {
        for (const listener of listeners) listener(events);
      },
    }),
    health,
  );
  const encryptedColumns: EncryptedColumn[] = [
    ...API_KEY_ENCRYPTED_COLUMNS.map((column) => ({ table: 'api_keys', column, json: false })),
    { table: 'vault_secrets', column: 'value', json: false },
  ];
  // Columns are appended in the order DAOs are made: a rewrap in progress keeps its cursor (an index).
  const make = <E extends { id: string; created_at: number; updated_at: number }, D extends EntityDao<E> = EntityDao<E>>(
    def: EntityDefinition<E>,
    build: (codec: RowCodec) => D = (codec) => new EntityDao<E>(def, codec, ctx) as D,
  ): D => {
    const generic = def as unknown as EntityDefinition;
    checkEntityDefinition(generic);
    const nested = options.nestedEncryption?.[def.name];
    for (const [column, f] of Object.entries(generic.fields)) {
      if (f.encrypted) encryptedColumns.push({ table: def.name, column, json: false });
      else if (nested?.field === column) encryptedColumns.push({ table: def.name, column, json: true });
    }
    const dao = build(createRowCodec(generic, dialect, cipher, nested));
    daos.set(def.name, dao as unknown as EntityDao);
    return dao;
  };
  const services = make(servicesDefinition);
  const routes = make(routesDefinition);
  const consumers = make(consumersDefinition);
  const plugins = make(pluginsDefinition);
  const basicAuthCredentials = make(basicAuthCredentialsDefinition);
  const vaults = make(vaultsDefinition);
  const snis = make(snisDefinition);
  const certificates = make(certificatesDefinition, (codec) => new CertificateDao(certificatesDefinition, codec, ctx, snis));
  const caCertificates = make(caCertificatesDefinition);

  return {
    dialect,
    nodeId,
    db,
    services,
    routes,
    consumers,
    plugins,
    basicAuthCredentials,
    vaults,
    certificates,
    snis,
    caCertificates,
    apiKeys: new ApiKeyDao(ctx, cipher),
    vaultSecrets: new VaultSecretDao(ctx, cipher),
    encryptedColumns,
    dao: (name) => daos.get(name),
    transaction: (fn) => ctx.write(() => fn(), 'transaction'),
    recordEvent: (event) => ctx.write(async (tx) => tx.recordEvent(event), 'cluster_events'),
    ...(postgres ? { openListener: postgres.listen } : {}),
    collectEvents: (fn) => ctx.collectEvents(fn),
    onCommit(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    events: {
      since: (afterId, limit) => ctx.read((d) => readClusterEvents(d, afterId, limit), 'cluster_events'),
      latestId: () => ctx.read((d) => latestClusterEventId(d), 'cluster_events'),
      prune: (beforeMs) => ctx.write((tx) => pruneClusterEvents(tx.db, beforeMs), 'cluster_events'),
    },
    async migrate() {
      return migrateUp(db, dialect);
    },
    migrationStatus: () => migrationStatus(db, dialect),
    pendingMigrations: () => pendingMigrations(db, dialect),
    ping,
    storage: {
      check: () => health.check(),
      onChange: (listener) => health.onChange(listener),
      failFast: () => health.failFast(),
      observe: (err) => health.observe(err),
    },
    close: () => {
      health.stop();
      return db.destroy();
    },
  };
}
