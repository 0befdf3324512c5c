/**
 * Several processes opening one new database at once make exactly one keyring key: four real
 * `portcullis keyring status` processes on a migrated, keyless database (one data folder), on
 * SQLite and PostgreSQL, all report the same single active key.
 */
import { describe, it, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, writeConfigFor } from './support/cli.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';

for (const dialect of DIALECTS) {
  describe(`first start of four processes at once on ${dialect}`, () => {
    let database: TestDatabase;
    before(async () => {
      database = await createTestDatabase(dialect);
    });
    after(async () => {
      await database.drop();
    });

    it('makes exactly one key, which every process holds and reports active', { timeout: 120_000 }, async () => {
      const configFile = writeConfigFor(database.config);
      assert.equal((await runCli(['migrate', 'up', '--config', configFile])).code, 0);
      const runs = await Promise.all([0, 1, 2, 3].map(() => runCli(['keyring', 'status', '--config', configFile, '--json'])));
      for (const r of runs) assert.equal(r.code, 0, r.stderr);
      const statuses = runs.map((r) => JSON.parse(r.stdout) as { ids: string[]; active: string; complete: boolean });
      const ids = new Set(statuses.flatMap((s) => s.ids));
      assert.equal(ids.size, 1, `keys made: ${[...ids].join(', ')}`);
      for (const s of statuses) assert.deepEqual([s.active, s.complete], [[...ids][0], true]);
    });
  });
}
