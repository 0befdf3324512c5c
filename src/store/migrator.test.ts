/**
 * The migrator orders migrations by code units, not by `localeCompare` (whose first call loads
 * ICU's collation data into every node process): the order is the same for every migration
 * name, and applying and checking migrations never calls `localeCompare`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { createTestDatabase } from '../../test/support/databases.js';
import { createStore } from './store.js';
import { TEST_CIPHER } from './testing/test-cipher.js';
import { MIGRATIONS } from './migrations/index.js';
import { byCodeUnits } from './migrator.js';

describe('migrator', () => {
  it('names every migration NNNN_name, numbered in list order, so code-unit and locale order agree', () => {
    const names = MIGRATIONS.map((m) => m.name);
    for (const [i, name] of names.entries()) assert.match(name, new RegExp(`^${String(i + 1).padStart(4, '0')}_[a-z0-9_]+$`));
    assert.deepEqual([...names].reverse().sort(byCodeUnits), names);
    assert.deepEqual(
      [...names].reverse().sort((a, b) => a.localeCompare(b)),
      names,
    );
  });

  it('compares by code units', () => {
    assert.equal(byCodeUnits('0002_b', '0010_a'), -1);
    assert.equal(byCodeUnits('0010_a', '0002_b'), 1);
    assert.equal(byCodeUnits('0003_x', '0003_x'), 0);
    // Where locale order differs: upper case before lower case, `_` after digits.
    assert.deepEqual(['b', 'B', 'a', 'A'].sort(byCodeUnits), ['A', 'B', 'a', 'b']);
    assert.deepEqual(['a_', 'a1'].sort(byCodeUnits), ['a1', 'a_']);
  });

  it('applies, re-applies and checks migrations without calling localeCompare', async () => {
    const database = await createTestDatabase('sqlite');
    const store = createStore({ cipher: TEST_CIPHER, config: database.config });
    const original = String.prototype.localeCompare;
    const calls: string[] = [];
    String.prototype.localeCompare = function (this: string, ...args: Parameters<typeof original>) {
      calls.push(String(this));
      return original.apply(this, args);
    };
    try {
      const result = await store.migrate();
      assert.equal(result.error, undefined);
      assert.deepEqual(
        result.applied,
        MIGRATIONS.map((m) => m.name),
      );
      // Migrations applied within one millisecond share a timestamp (all of them, here): Kysely
      // orders those by the comparator.
      await sql`UPDATE schema_migrations SET timestamp = ${'2026-01-01T00:00:00.000Z'}`.execute(store.db);
      // What a node does at each start: migrate (nothing left to apply) …
      assert.deepEqual(await store.migrate(), { applied: [] });
      assert.deepEqual(await store.pendingMigrations(), []);
      assert.deepEqual(
        (await store.migrationStatus()).map((s) => s.name),
        MIGRATIONS.map((m) => m.name),
      );
    } finally {
      String.prototype.localeCompare = original;
      await store.close();
      await database.drop();
    }
    assert.deepEqual(calls, []);
  });
});
