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
    // Migrations applied in one run share a timestamp and are ordered by name. Kysely's default
    // comparator is `localeCompare`, whose first call loads ICU's collation data: ~2.7 MB of the
    // node binary resident in every process for a sort of 7 ASCII names. Code-unit order is the
    // order Kysely sorts the migrations it is given in (`Object.keys(…).sort()`), and the same
    // as `localeCompare` for our `NNNN_name` names (migrator.test.ts checks both).
    nameComparator: byCodeUnits,
  });
}

/** Plain string order (UTF-16 code units), what `Array.prototype.sort` uses without a comparator. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface MigrateResult {
  readonly applied: readonly string[];
  readonly error?: Error;
}

/**
 * Applies every pending migration, in order, in one transaction (SQLite and PostgreSQL alike).
 * On SQLite, processes starting at once on a new file can meet while the Migrator creates its own
 * tables (outside any transaction, so the busy timeout does not always apply): SQLITE_BUSY there is
 * retried for up to about ten seconds; the migrations themselves run once, under the Migrator's lock.
 */
export async function migrateUp(db: Kysely<any>, dialect: DialectName): Promise<MigrateResult> {
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await createMigrator(db, dialect).migrateToLatest();
    const applied = (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    if (!error) return { applied };
    if (dialect === 'sqlite' && applied.length === 0 && isBusy(error) && attempt < 40) {
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.floor(Math.random() * 200)));
      continue;
    }
    return { applied, error: error instanceof Error ? error : new Error(String(error)) };
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

export async function migrationStatus(db: Kysely<any>, dialect: DialectName): Promise<MigrationStatus[]> {
  const infos = await createMigrator(db, dialect).getMigrations();
  return infos.map((i) => ({ name: i.name, executedAt: i.executedAt ?? null }));
}

export async function pendingMigrations(db: Kysely<any>, dialect: DialectName): Promise<string[]> {
  return (await migrationStatus(db, dialect)).filter((s) => s.executedAt === null).map((s) => s.name);
}
