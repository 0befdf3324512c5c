/**
 * Rewrap of 100k stored values on SQLite (goal: < 10 s), next to a reference in the same run:
 * the same walk without crypto on a copy of the same data (the counting pass, then every value
 * read and replaced by one of the same length through the same compare-and-set statement, with
 * a job-row update, batch by batch in one transaction each, yielding between batches). Run: `npm run bench:rewrap` (`-- --values 200000 --batch 1000` to vary).
 *
 * The values: basic-auth passwords (one column) and API-key salts and hashes, current and
 * previous (four columns of one table), half each, all under key A; key B is then activated.
 * Figures depend on the machine and what else runs on it: compare them within one run.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load-config.js';
import { createKeyringCipher } from '../src/keyring/keyring-cipher.js';
import { createKeyringHolder, generateKey, withKeys } from '../src/keyring/keyring.js';
import { countKeyringUsage, forEachStoredValue, readColumnBatch } from '../src/keyring/keyring-usage.js';
import { createRewrapper, writeIfUnchanged } from '../src/keyring/rewrap.js';
import { fieldAad } from '../src/store/field-cipher.js';
import { createStore, type Store } from '../src/store/store.js';

const { values: args } = parseArgs({ options: { values: { type: 'string', default: '100000' }, batch: { type: 'string', default: '500' } } });
const target = Number(args.values);
const batchSize = Number(args.batch);

const dir = mkdtempSync(join(tmpdir(), 'portcullis-rewrap-bench-'));
const holder = createKeyringHolder();
const keyA = generateKey(1);
holder.replace(withKeys(holder.current(), [keyA], keyA.id));
const cipher = createKeyringCipher(holder);
const file = join(dir, 'db.sqlite');
const openStore = (path: string) => createStore({ cipher, config: { ...loadConfig({ env: {} }), database: 'sqlite', sqlite_path: path } });
const store = openStore(file);
await store.migrate();

/** Half the values in basicauth_credentials, half in api_keys (four per key), written with multi-row inserts. */
async function seed(s: Store): Promise<void> {
  const consumer = await s.consumers.insert({ username: 'bench' });
  const credentials = Math.floor(target / 2);
  const keys = Math.floor((target - credentials) / 4);
  const seal = (table: string, column: string, id: string) => cipher.encrypt(`${column}-${id}`, fieldAad(table, column, id));
  await s.db.transaction().execute(async (trx) => {
    for (let i = 0; i < credentials; i += 500) {
      const rows = [];
      for (let j = i; j < Math.min(i + 500, credentials); j++) {
        const id = randomUUID();
        rows.push({
          id,
          consumer_id: consumer.id,
          username: `user-${j}`,
          password: seal('basicauth_credentials', 'password', id),
          tags: '[]',
          created_at: 1,
          updated_at: 1,
        });
      }
      await trx.insertInto('basicauth_credentials').values(rows).execute();
    }
    for (let i = 0; i < keys; i += 200) {
      const rows = [];
      for (let j = i; j < Math.min(i + 200, keys); j++) {
        const id = randomUUID();
        const keyId = j.toString(16).padStart(16, '0');
        rows.push({
          id,
          name: `key-${j}`,
          key_id: keyId,
          lookup: `pcg_${keyId}`,
          issuer: 'portcullis',
          prefix: 'pcg',
          source: 'generated',
          algorithm: 'sha256',
          salt: seal('api_keys', 'salt', id),
          hash: seal('api_keys', 'hash', id),
          prev_lookup: `pcg_p${keyId}`,
          prev_algorithm: 'sha256',
          prev_salt: seal('api_keys', 'prev_salt', id),
          prev_hash: seal('api_keys', 'prev_hash', id),
          prev_valid_until: 9e9,
          consumer_id: consumer.id,
          status: 'active',
          metadata: '{}',
          cache_key: `api_keys:consumer:${consumer.id}:key-${j}`,
          created_at: 1,
          updated_at: 1,
        });
      }
      await trx.insertInto('api_keys').values(rows).execute();
    }
  });
}

/** A different value of the same length: SQLite skips writing a row whose bytes do not change. */
function sameLengthChange(value: string): string {
  return value.slice(0, -1) + (value.endsWith('0') ? '1' : '0');
}

/** The reference: the rewrap's database work (count pass, read, compare-and-set write, job row) without crypto. */
async function rewriteWithoutCrypto(s: Store): Promise<number> {
  let counted = 0;
  await forEachStoredValue(s, () => void counted++, batchSize);
  await s.db
    .insertInto('keyring_rewrap')
    .values({ name: 'reference', status: 'running', target_key: 'x', total: counted, done: 0, failed: 0, cursor: '{}', started_at: 0, updated_at: 0 })
    .execute();
  let written = 0;
  for (const [i, column] of s.encryptedColumns.entries()) {
    let after: string | null = null;
    for (;;) {
      const rows = await readColumnBatch(s.db, column, after, batchSize);
      const last = rows[rows.length - 1];
      await s.db.transaction().execute(async (trx) => {
        await writeIfUnchanged(
          trx,
          s.dialect,
          column,
          rows.map((row) => ({ id: row.id, from: row.raw, to: sameLengthChange(String(row.raw)) })),
        );
        const cursor = JSON.stringify({ column: i, after: last?.id ?? null });
        await trx
          .updateTable('keyring_rewrap')
          .set({ cursor, done: written + rows.length, updated_at: Date.now() })
          .where('name', '=', 'reference')
          .execute();
      });
      written += rows.length;
      if (rows.length < batchSize || !last) break;
      after = last.id;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  await s.db.deleteFrom('keyring_rewrap').where('name', '=', 'reference').execute();
  return written;
}

const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const start = performance.now();
  const value = await fn();
  return [value, (performance.now() - start) / 1000];
};

const [, seedSeconds] = await timed(() => seed(store));
await store.close();
// The reference changes every value (breaking its ciphertext), so it runs on a copy of the same data.
const referenceFile = join(dir, 'reference.sqlite');
copyFileSync(file, referenceFile);
const referenceStore = openStore(referenceFile);
const [referenceValues, referenceSeconds] = await timed(() => rewriteWithoutCrypto(referenceStore));
await referenceStore.close();

const store2 = openStore(file);
const keyB = generateKey(2);
holder.replace(withKeys(holder.current(), [keyB], keyB.id));
const rewrapper = createRewrapper({
  store: store2,
  cipher,
  activeKeyId: () => holder.current().active,
  logger: pino({ level: 'silent' }),
  owner: 'bench',
  batchSize,
});
const [progress, rewrapSeconds] = await timed(async () => {
  await rewrapper.start();
  return rewrapper.whenIdle();
});
const [again, againSeconds] = await timed(async () => {
  await rewrapper.start();
  return rewrapper.whenIdle();
});
const usage = await countKeyringUsage(store2);
await store2.close();
rmSync(dir, { recursive: true, force: true });

if (progress.status !== 'done' || progress.done !== referenceValues || usage.keys[keyA.id] || usage.keys[keyB.id]?.total !== referenceValues) {
  throw new Error(`the rewrap did not re-encrypt every value: ${JSON.stringify({ progress, usage })}`);
}
const rate = (n: number, s: number) => Math.round(n / s).toLocaleString('en');
console.log(
  `rewrap of ${referenceValues.toLocaleString('en')} values on SQLite, batch ${batchSize}, node ${process.version} (seeded in ${seedSeconds.toFixed(1)} s)\n`,
);
console.log('| case | seconds | values/s |\n|---|---:|---:|');
console.log(`| reference: same walk and writes, no crypto | ${referenceSeconds.toFixed(2)} | ${rate(referenceValues, referenceSeconds)} |`);
console.log(`| rewrap A → B (count, decrypt, encrypt, write) | ${rewrapSeconds.toFixed(2)} | ${rate(progress.done, rewrapSeconds)} |`);
console.log(`| second rewrap (every value already under B) | ${againSeconds.toFixed(2)} | ${rate(referenceValues, againSeconds)} (${again.done} rewritten) |`);
console.log(`\nrewrap ÷ reference time: ${(rewrapSeconds / referenceSeconds).toFixed(2)}×; goal < 10 s: ${rewrapSeconds < 10 ? 'met' : 'NOT met'}`);
