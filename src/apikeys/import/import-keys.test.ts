/**
 * `importKeys` across batches, on SQLite and PostgreSQL, with the keyring cipher (large batches
 * are sealed on its worker thread while the batch before is written): a line that repeats a key
 * or a name of the batch before (checked while that batch is still being sealed, not yet in the
 * store) or of an earlier, written batch is refused by line number, never by a failing INSERT;
 * `api_keys.max_per_consumer` counts keys across every batch; a clean file imports every key,
 * each verifiable with the value it was imported from.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createStore, type Store } from '../../store/store.js';
import { loadConfig } from '../../config/load-config.js';
import { createKeyHashers } from '../hashing/key-hashers.js';
import { createIssuerDirectory } from '../lifecycle/issuers.js';
import { generateApiKey, parseApiKey } from '../key-format.js';
import { INSERT_BATCH_ROWS } from '../../store/api-key-dao.js';
import { createKeyringHolder, generateKey, withKeys } from '../../keyring/keyring.js';
import { createKeyringCipher } from '../../keyring/keyring-cipher.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { importKeys } from './import-keys.js';
import type { SourceLine } from './read-lines.js';

const MAX_PER_CONSUMER = INSERT_BATCH_ROWS + 200;
const config = loadConfig({
  env: {
    PORTCULLIS_API_KEYS_MAX_PER_CONSUMER: String(MAX_PER_CONSUMER),
    PORTCULLIS_API_KEYS_ISSUERS: JSON.stringify([{ name: 'portcullis', prefix: 'pcg', type: 'local' }]),
  },
});
const ours = () => generateApiKey('pcg').key.reveal();
/** How a key of ours finds its row: `<prefix>_<public id>`. */
const lookupOf = (value: string) => {
  const parsed = parseApiKey(value);
  assert.ok(parsed && parsed.kind === 'portcullis');
  return `${parsed.prefix}_${parsed.id}`;
};

async function* linesOf(values: readonly object[]): AsyncIterable<SourceLine> {
  for (const [i, v] of values.entries()) yield { number: i + 1, text: JSON.stringify(v) };
}

for (const dialect of DIALECTS) {
  describe(`apikeys import across batches (${dialect})`, () => {
    let database: TestDatabase;
    let store: Store;
    const hashers = createKeyHashers('sha256');
    const run = (values: readonly object[], dryRun = false) =>
      importKeys({ store, config: config.api_keys, issuers: createIssuerDirectory(config.api_keys.issuers), hashers }, linesOf(values), {
        dryRun,
        defaults: {},
      });

    before(async () => {
      database = await createTestDatabase(dialect);
      const holder = createKeyringHolder();
      const active = generateKey(0);
      holder.replace(withKeys(holder.current(), [active], active.id));
      store = createStore({ cipher: createKeyringCipher(holder), config: database.config });
      const migrated = await store.migrate();
      if (migrated.error) throw migrated.error;
      await store.services.insert({ name: 'orders', url: 'http://orders.test' });
      await store.consumers.insert({ username: 'alice' });
      await store.consumers.insert({ username: 'bob' });
    });
    after(async () => {
      await store.close();
      await database.drop();
    });

    it('refuses by line a key or name repeated from the batch before (not yet written) or from an earlier batch (written)', async () => {
      const lines: { value: string; service: string; name?: string }[] = Array.from({ length: 3 * INSERT_BATCH_ROWS + 50 }, () => ({
        value: ours(),
        service: 'orders',
      }));
      lines[29] = { ...lines[29]!, name: 'named-in-batch-1' };
      // Line numbers are 1-based: line 1500 is in the second batch, line 2500 in the third, 3010 in the fourth.
      lines[1499] = { value: lines[9]!.value, service: 'orders' };
      lines[1599] = { value: ours(), service: 'orders', name: 'named-in-batch-1' };
      lines[2499] = { value: lines[19]!.value, service: 'orders' };
      lines[3009] = { value: lines[2009]!.value, service: 'orders' };
      const result = await run(lines);
      assert.equal(result.committed, false);
      assert.equal(result.imported, 0);
      assert.deepEqual(
        result.errors.map((e) => [e.line, e.field, e.kind]),
        [
          [1500, 'value', 'conflict'],
          [1600, 'name', 'conflict'],
          [2500, 'value', 'conflict'],
          [3010, 'value', 'conflict'],
        ],
      );
      assert.equal(result.valid, lines.length - 4);
      assert.equal(await store.apiKeys.findByLookup(lookupOf(lines[0]!.value)), null, 'rolled back: nothing written');
    });

    it('counts api_keys.max_per_consumer across batches', async () => {
      const lines = Array.from({ length: MAX_PER_CONSUMER + 5 }, (_, i) => ({ value: ours(), consumer: i % 2 === 0 ? 'alice' : 'bob' }));
      lines.push(...Array.from({ length: MAX_PER_CONSUMER }, () => ({ value: ours(), consumer: 'alice' })));
      const result = await run(lines, true);
      // alice has ceil((MAX + 5) / 2) after the first part; the rest of her lines pass the limit from there.
      const aliceFirst = Math.ceil((MAX_PER_CONSUMER + 5) / 2);
      const refused = MAX_PER_CONSUMER - (MAX_PER_CONSUMER - aliceFirst);
      assert.equal(result.error_count, refused);
      assert.ok(result.errors.every((e) => e.field === 'consumer' && e.line > MAX_PER_CONSUMER + 5 + (MAX_PER_CONSUMER - aliceFirst)));
      assert.equal(result.errors[0]!.line, MAX_PER_CONSUMER + 5 + (MAX_PER_CONSUMER - aliceFirst) + 1);
    });

    it('imports a clean file of several batches: every key is stored, sealed, and verifies with its value', async () => {
      const lines = Array.from({ length: 2 * INSERT_BATCH_ROWS + 300 }, (_, i) => ({ value: ours(), service: 'orders', name: `bulk-${i}` }));
      const result = await run(lines);
      assert.deepEqual([result.committed, result.imported, result.error_count], [true, lines.length, 0]);
      for (const i of [0, INSERT_BATCH_ROWS - 1, INSERT_BATCH_ROWS, 2 * INSERT_BATCH_ROWS + 299]) {
        const found = await store.apiKeys.findByLookup(lookupOf(lines[i]!.value));
        assert.equal(found?.record.name, `bulk-${i}`);
        assert.ok(await hashers.current.verify(lines[i]!.value, found!.record.secret), `key ${i} verifies`);
      }
      const raw = await store.db
        .selectFrom('api_keys')
        .select(['hash'])
        .where('name', '=', `bulk-${INSERT_BATCH_ROWS + 5}`)
        .executeTakeFirstOrThrow();
      assert.match(String(raw.hash), /^\$ke\$1\$-/);
    });
  });
}
