/**
 * `apikeys import`: streams an import file into the store in one transaction, all or nothing.
 * Lines are checked and built a batch at a time (hashing runs concurrently within a batch, which
 * is what makes bcrypt/argon2id use the thread pool), each batch's unique values are checked
 * against the store (so a duplicate names its line instead of failing a whole INSERT), then the
 * batch is inserted. A line that fails does not stop the run: every line is checked, and the
 * transaction is rolled back at the end if any failed, or on --dry-run. One cluster event for the
 * whole import (caches forget unknown keys; nothing else has to change), none when rolled back.
 */
import { sql } from 'kysely';
import type { ApiKeysConfig } from '../../config/schema.js';
import type { FieldError } from '../../errors/portcullis-error.js';
import { INSERT_BATCH_ROWS, type EncodedApiKeys, type Taken } from '../../store/api-key-dao.js';
import type { Store } from '../../store/store.js';
import type { KeyHashers } from '../hashing/key-hashers.js';
import type { IssuerDirectory } from '../lifecycle/issuers.js';
import { parseImportLine } from './import-line.js';
import { createImportOwners } from './import-owners.js';
import { importMaterial, importRecord, type DefaultOwner, type ImportedKey } from './import-record.js';
import type { ImportLine } from './import-line.js';
import type { SourceLine } from './read-lines.js';

export interface ImportDeps {
  readonly store: Store;
  readonly config: ApiKeysConfig;
  readonly issuers: IssuerDirectory;
  readonly hashers: KeyHashers;
  readonly now?: () => number;
}

export interface ImportOptions {
  readonly dryRun: boolean;
  readonly defaults: DefaultOwner;
  /** Lines handled so far (done) and failed, after every batch. */
  readonly onProgress?: (done: number, failed: number) => void;
}

/** A refused line: which one, which field, why. `conflict`: a unique value already taken. */
export interface LineError {
  readonly line: number;
  readonly field: string;
  readonly message: string;
  readonly kind: 'invalid' | 'conflict';
}

export interface ImportResult {
  /** Non-blank lines read. */
  readonly lines: number;
  /** Keys written (0 unless committed). */
  readonly imported: number;
  /** Keys that would have been written: every valid line. */
  readonly valid: number;
  readonly committed: boolean;
  /** The first errors, in line order (at most `MAX_ERRORS_KEPT`); `error_count` counts them all. */
  readonly errors: readonly LineError[];
  readonly error_count: number;
}

/** Errors kept for the report; a file of a million bad lines is summarised, not echoed. */
export const MAX_ERRORS_KEPT = 100;
/** Consumers whose active keys are counted in memory (api_keys.max_per_consumer) before the counts are re-read. */
const COUNTED_CONSUMERS_MAX = 10_000;
const BLANK = /^\s*$/;
/** SQLite page cache of an import's connection, in KiB (see widenSqlitePageCache). */
const SQLITE_IMPORT_CACHE_KIB = 256 * 1024;

class RollBack extends Error {}

export async function importKeys(deps: ImportDeps, lines: AsyncIterable<SourceLine>, options: ImportOptions): Promise<ImportResult> {
  const now = deps.now ?? Date.now;
  const nowSeconds = Math.floor(now() / 1000);
  const errors: LineError[] = [];
  let errorCount = 0;
  let read = 0;
  let valid = 0;
  const refuse = (line: number, fields: readonly FieldError[], kind: LineError['kind']) => {
    errorCount += 1;
    if (errors.length < MAX_ERRORS_KEPT) for (const f of fields.slice(0, 1)) errors.push({ line, field: f.path, message: f.message, kind });
  };

  const run = async () => {
    const owners = createImportOwners({ store: deps.store, maxPerConsumer: deps.config.max_per_consumer, nowSeconds: () => nowSeconds });
    const recordDeps = { issuers: deps.issuers, hashers: deps.hashers, config: deps.config, owners, nowSeconds };
    let pending: { number: number; line: ImportLine }[] = [];

    /**
     * The last checked batch, sealing (on a worker thread, see ApiKeyDao.encodeMany) while the
     * main thread checks the next one and writes the one before: it is written at the next flush.
     * Until then its values are not in the store, so the next batch is checked against them too.
     */
    let inFlight: { readonly encoded: Promise<EncodedApiKeys>; readonly values: Taken } | null = null;
    const writeInFlight = async () => {
      if (inFlight === null) return;
      const { encoded } = inFlight;
      inFlight = null;
      await deps.store.apiKeys.insertEncoded(await encoded);
    };

    const flush = async () => {
      // Hashing runs concurrently within the batch (slow hashes use the thread pool); owners and
      // consumer slots are resolved one line at a time, in line order.
      const batch = pending;
      pending = [];
      const materials = await Promise.all(batch.map((p) => importMaterial(recordDeps, p.line)));
      const keys: { number: number; key: ImportedKey }[] = [];
      for (const [i, p] of batch.entries()) {
        const km = materials[i]!;
        const out = 'errors' in km ? km : await importRecord(recordDeps, p.line, km, options.defaults);
        if ('errors' in out) refuse(p.number, out.errors, 'invalid');
        else keys.push({ number: p.number, key: out });
      }
      const accepted = await withoutConflicts(deps.store, keys, refuse, inFlight?.values);
      const encoded = deps.store.apiKeys.encodeMany(accepted.map((k) => k.key.record));
      encoded.catch(() => {}); // awaited by writeInFlight; a failure before then is not unhandled
      await writeInFlight();
      inFlight = { encoded, values: acceptedValues(accepted) };
      valid += accepted.length;
      // Consumer counts are forgotten only once every key they count is in the store.
      if (owners.countedConsumers() >= COUNTED_CONSUMERS_MAX) {
        await writeInFlight();
        owners.forgetCounts();
      }
      options.onProgress?.(read, errorCount);
    };

    for await (const source of lines) {
      if ('tooLong' in source) {
        read += 1;
        refuse(source.number, [{ path: '(line)', message: 'is longer than the limit' }], 'invalid');
        continue;
      }
      if (BLANK.test(source.text)) continue;
      read += 1;
      const parsed = parseImportLine(source.text);
      if ('errors' in parsed) refuse(source.number, parsed.errors, 'invalid');
      else pending.push({ number: source.number, line: parsed.line });
      if (pending.length >= INSERT_BATCH_ROWS) await flush();
    }
    await flush();
    await writeInFlight();
    if (errorCount > 0 || options.dryRun) throw new RollBack();
    await deps.store.apiKeys.recordBulkEvent('import', valid);
  };

  if (deps.store.dialect === 'sqlite') await widenSqlitePageCache(deps.store);
  let committed = false;
  try {
    await deps.store.transaction(run);
    committed = true;
  } catch (err) {
    if (!(err instanceof RollBack)) throw err;
  }
  errors.sort((a, b) => a.line - b.line);
  return { lines: read, imported: committed ? valid : 0, valid, committed, errors, error_count: errorCount };
}

/**
 * Keys are random, so every insert lands on a random page of each of the table's unique indexes:
 * with SQLite's default 2 MB page cache most of them miss past ~100k keys, and the import slows
 * down as the table grows. A larger cache for this connection (the CLI's own, gone when it exits)
 * keeps the rate flat; it is an upper bound, used only as pages are read.
 */
async function widenSqlitePageCache(store: Store): Promise<void> {
  await sql.raw(`pragma cache_size = -${SQLITE_IMPORT_CACHE_KIB}`).execute(store.db);
}

/**
 * The keys of a batch whose lookup, public id and name are free, both in the store (this
 * transaction's earlier batches included) and among the batch's earlier lines; the others refused.
 */
async function withoutConflicts(
  store: Store,
  keys: readonly { number: number; key: ImportedKey }[],
  refuse: (line: number, fields: readonly FieldError[], kind: 'conflict') => void,
  notStored: Taken = { lookups: new Set(), keyIds: new Set(), cacheKeys: new Set() },
): Promise<{ number: number; key: ImportedKey }[]> {
  const taken = await store.apiKeys.findTaken({
    lookups: keys.map((k) => k.key.record.secret.lookup),
    keyIds: keys.map((k) => k.key.record.key_id),
    cacheKeys: keys.map((k) => k.key.cacheKey),
  });
  const accepted = [];
  for (const k of keys) {
    const { record, cacheKey, keyField } = k.key;
    const { lookup } = record.secret;
    const keyTaken = taken.lookups.has(lookup) || notStored.lookups.has(lookup) || taken.keyIds.has(record.key_id) || notStored.keyIds.has(record.key_id);
    const field = keyTaken ? keyField : taken.cacheKeys.has(cacheKey) || notStored.cacheKeys.has(cacheKey) ? 'name' : null;
    if (field) {
      refuse(k.number, [{ path: field, message: field === 'name' ? 'is already used by an active key of this owner' : 'is already registered' }], 'conflict');
      continue;
    }
    taken.lookups.add(lookup);
    taken.keyIds.add(record.key_id);
    taken.cacheKeys.add(cacheKey);
    accepted.push(k);
  }
  return accepted;
}

/** The unique values of accepted keys, which the next batch must not reuse before they are stored. */
function acceptedValues(accepted: readonly { key: ImportedKey }[]): Taken {
  return {
    lookups: new Set(accepted.map((k) => k.key.record.secret.lookup)),
    keyIds: new Set(accepted.map((k) => k.key.record.key_id)),
    cacheKeys: new Set(accepted.map((k) => k.key.cacheKey)),
  };
}
