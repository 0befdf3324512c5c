/**
 * The key store at scale (issue 12 §4), in one run: `npm run bench:keys-scale -- [--keys 1000000]
 * [--dialects sqlite,postgres] [--samples 2000] [--cache 1000000] [--out file]`.
 *
 * 1. Import: N keys (values generated here, in our format) through the import engine of
 *    `portcullis apikeys import` (importKeys: parse, hash sha256, encrypt, batched INSERT in one
 *    transaction): wall time, keys/s and CPU µs per key (CPU is what a loaded machine does not skew).
 * 2. Uncached verification through the real verifier (cache_ttl 0: every call pays the store
 *    lookup, decryption and hash), on a 1,000-key store and the N-key store, interleaved in rounds
 *    so both see the same machine load: p50/p99 and the N ÷ 1k ratio (goal: p99 within 2×), plus
 *    the lookup's query plan (it must use the unique index on `lookup`).
 * 3. The key cache: heap per cached key (global.gc() before and after caching M entries made as
 *    the verifier makes them; run with --expose-gc, which the npm script passes), and resident
 *    memory with M keys cached. Goal: < 300 bytes per key.
 * PostgreSQL: PORTCULLIS_TEST_PG_URL (a fresh database is created and dropped).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { pino } from 'pino';
import { loadConfig } from '../src/config/load-config.js';
import type { DialectName } from '../src/store/dialect.js';
import type { Store } from '../src/store/store.js';
import { generateApiKey } from '../src/apikeys/key-format.js';
import { createKeyHashers } from '../src/apikeys/hashing/key-hashers.js';
import { createIssuerDirectory } from '../src/apikeys/lifecycle/issuers.js';
import { createApiKeyVerifier } from '../src/apikeys/verifier/api-key-verifier.js';
import { importKeys } from '../src/apikeys/import/import-keys.js';
import type { SourceLine } from '../src/apikeys/import/read-lines.js';
import { createTestStore } from '../test/support/databases.js';
import { measureCacheMemory } from './keys-scale-cache.js';

const { values: args } = parseArgs({
  options: {
    keys: { type: 'string', default: '1000000' },
    dialects: { type: 'string', default: 'sqlite,postgres' },
    samples: { type: 'string', default: '2000' },
    cache: { type: 'string', default: '1000000' },
    out: { type: 'string' },
  },
});
const N = Number(args.keys);
const SAMPLES = Number(args.samples);
const out: string[] = [];
const say = (line = '') => {
  console.log(line);
  out.push(line);
};

const config = loadConfig({ env: { PORTCULLIS_API_KEYS_CACHE_TTL: '0', PORTCULLIS_API_KEYS_MAX_PER_CONSUMER: '0' } });
const hashers = createKeyHashers('sha256');
const issuers = createIssuerDirectory(config.api_keys.issuers);
const logger = pino({ level: 'silent' });

/** `count` generated keys as import lines; every `count / SAMPLES`-th value is kept for verification. */
function generated(count: number, kept: string[]): AsyncIterable<SourceLine> {
  const every = Math.max(1, Math.floor(count / SAMPLES));
  return (async function* () {
    for (let i = 1; i <= count; i++) {
      const value = generateApiKey('pcg').key.reveal();
      if (i % every === 0 && kept.length < SAMPLES) kept.push(value);
      yield { number: i, text: JSON.stringify({ value, service: 'bench' }) };
    }
  })();
}

async function load(store: Store, count: number): Promise<{ kept: string[]; seconds: number; cpuUsPerKey: number }> {
  await store.services.insert({ name: 'bench', url: 'http://127.0.0.1:9' });
  const kept: string[] = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await importKeys({ store, config: config.api_keys, issuers, hashers }, generated(count, kept), { dryRun: false, defaults: {} });
  if (!result.committed || result.imported !== count) throw new Error(`import failed: ${JSON.stringify(result.errors.slice(0, 3))}`);
  const used = process.cpuUsage(cpu);
  return { kept, seconds: (performance.now() - started) / 1000, cpuUsPerKey: (used.user + used.system) / count };
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function plan(store: Store): Promise<string> {
  const q = `select * from api_keys where lookup = 'pcg_0000000000000000' or prev_lookup = 'pcg_0000000000000000'`;
  if (store.dialect === 'sqlite') return (await sql.raw<{ detail: string }>(`explain query plan ${q}`).execute(store.db)).rows.map((r) => r.detail).join('; ');
  return (await sql.raw<{ 'QUERY PLAN': string }>(`explain ${q}`).execute(store.db)).rows.map((r) => r['QUERY PLAN'].trim()).join('; ');
}

async function dialectRun(dialect: DialectName): Promise<void> {
  const small = await createTestStore(dialect);
  const large = await createTestStore(dialect);
  try {
    const a = await load(small.store, 1000);
    const b = await load(large.store, N);
    say(`\n### ${dialect}\n`);
    say(`| import | keys | seconds (wall) | keys/s (wall) | CPU µs per key |\n|---|---:|---:|---:|---:|`);
    for (const [n, r] of [
      [1000, a],
      [N, b],
    ] as const)
      say(
        `| ${dialect} | ${n.toLocaleString('en')} | ${r.seconds.toFixed(1)} | ${Math.round(n / r.seconds).toLocaleString('en')} | ${r.cpuUsPerKey.toFixed(0)} |`,
      );
    say(`\nlookup plan (${N.toLocaleString('en')} keys): \`${await plan(large.store)}\`\n`);
    const verifiers = [small, large].map((s) =>
      createApiKeyVerifier({ dao: s.store.apiKeys, hashers, issuers, logger, findConsumerId: async () => null }, config.api_keys),
    );
    const service = (await small.store.services.get('bench'))!.id;
    const serviceLarge = (await large.store.services.get('bench'))!.id;
    const times: [number[], number[]] = [[], []];
    // Interleaved rounds: 1k, N, 1k, N … so both see the same load; the first round warms up.
    for (let round = 0; round < 5; round++) {
      for (const [i, keys] of [a.kept, b.kept].entries()) {
        const scope = { serviceId: i === 0 ? service : serviceLarge };
        for (const key of keys) {
          const t = performance.now();
          const r = await verifiers[i]!.verify(key, scope);
          const us = (performance.now() - t) * 1000;
          if (r.status !== 'valid') throw new Error(`unexpected ${r.status}`);
          if (round > 0) times[i]!.push(us);
        }
      }
    }
    say(`| uncached verify (sha256) | p50 µs | p99 µs |\n|---|---:|---:|`);
    say(`| 1,000 keys | ${pct(times[0], 50).toFixed(0)} | ${pct(times[0], 99).toFixed(0)} |`);
    say(`| ${N.toLocaleString('en')} keys | ${pct(times[1], 50).toFixed(0)} | ${pct(times[1], 99).toFixed(0)} |`);
    say(`| **ratio** | **${(pct(times[1], 50) / pct(times[0], 50)).toFixed(2)}×** | **${(pct(times[1], 99) / pct(times[0], 99)).toFixed(2)}×** |`);
  } finally {
    await small.close();
    await large.close();
  }
}

say(`## keys at scale — ${new Date().toISOString()}, node ${process.version}, ${N.toLocaleString('en')} keys, ${SAMPLES} samples per store per round`);
say('The machine was shared (load average above 10 on 2 cores): compare ratios within this run, not absolute figures.');
for (const dialect of args.dialects.split(',') as DialectName[]) await dialectRun(dialect);
say(`\n### key cache memory\n`);
for (const line of await measureCacheMemory(Number(args.cache), config.api_keys)) say(line);
if (args.out) writeFileSync(args.out, `${out.join('\n')}\n`);
