/**
 * Applies and reports migrations through Kysely's Migrator (which locks, so two nodes starting at
 * once do not both migrate). A failed run returns what happened instead of throwing half-way.
 */
import { Migrator, type Kysely, type Migration as KyselyMigration } from 'kysely';
import { MIGRATIONS } from './migrations/index.js';
import type { DialectName } from './dialect.js';

export const MIGRATION_TABLE = 'schema_migrations';

export interface MigrationStatus {
  readonly name: string;
  readonly executedAt: Date | null;
}

function createMigrator(db: Kysely<any>, dialect: DialectName): Migrator {
  const migrations: Record<string, KyselyMigration> = {};
  for (const m of MIGRATIONS) migrations[m.name] = { up: (d) => m.up(d, dialect) };
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: `${MIGRATION_TABLE}_lock`,
  });
}

export interface MigrateResult {
  readonly applied: readonly string[];
  readonly error?: Error;
}

/** Applies every pending migration, in order, in one transaction (SQLite and PostgreSQL alike). */
export async function migrateUp(db: Kysely<any>, dialect: DialectName): Promise<MigrateResult> {
  const { error, results } = await createMigrator(db, dialect).migrateToLatest();
  const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  return error ? { applied, error: error instanceof Error ? error : new Error(String(error)) } : { applied };
}

export async function migrationStatus(db: Kysely<any>, dialect: DialectName): Promise<MigrationStatus[]> {
  const infos = await createMigrator(db, dialect).getMigrations();
  return infos.map((i) => ({ name: i.name, executedAt: i.executedAt ?? null }));
}

export async function pendingMigrations(db: Kysely<any>, dialect: DialectName): Promise<string[]> {
  return (await migrationStatus(db, dialect)).filter((s) => s.executedAt === null).map((s) => s.name);
}
