/**
 * Rewrap: re-encrypts every stored value with the active key (the target), so an old key ends
 * up encrypting nothing and can be removed without `force`.
 *
 * - It walks `store.encryptedColumns` one column at a time in id-ordered batches (keyring-usage.ts).
 *   A value under another key is decrypted (its key, its AAD) and encrypted again with the active
 *   key; a value already under the target is skipped, so a second run changes nothing; plaintext
 *   left in a scalar encrypted column is encrypted.
 * - Each batch is one short transaction holding its compare-and-set updates (`WHERE col = <value
 *   read>`: a concurrent write, already under the active key, is never overwritten) and the job
 *   row (`keyring_rewrap`, name `current`: cursor `{"column", "at", "after"}`, counters). A crash
 *   loses at most the batch in flight; `resume()` at the next start continues from the cursor.
 * - The job row is itself written compare-and-set on (owner, cursor, target): when another node
 *   or process takes the job over (start/resume set the owner), this one stops at its next batch.
 * - A value whose key is missing or that fails its tag is left as it is and counted `failed`,
 *   logged once per key id with the code (never the value); the job still ends `done`.
 * - If the active key changes, the job restarts for the new target. No cluster event is recorded:
 *   no plaintext changes. Between batches it yields to the event loop, so the proxy keeps serving.
 *
 * Job times are stored in milliseconds (rates); progress shows them in seconds, as the Admin API does.
 */
import { sql, type Kysely } from 'kysely';
import type { Logger } from '../observability/logger.js';
import { isPortcullisError, PortcullisError } from '../errors/portcullis-error.js';
import { fieldAad, isEncryptedValue, type FieldCipher } from '../store/field-cipher.js';
import { mapStrings } from '../store/row-codec.js';
import type { DialectName } from '../store/dialect.js';
import type { EncryptedColumn, Store } from '../store/store.js';
import { ciphertextKeyId } from './keyring-cipher.js';
import { IDLE_REWRAP, type RewrapProgress } from './keyring-service.js';
import { DEFAULT_BATCH_SIZE, forEachStoredValue, parseJsonColumn, readColumnBatch, type StoredRow } from './keyring-usage.js';

export interface RewrapperDeps {
  readonly store: Store;
  readonly cipher: FieldCipher;
  readonly activeKeyId: () => string | null;
  readonly logger: Logger;
  /** Who runs the job (the node id): written in the job row. */
  readonly owner: string;
  readonly now?: () => number;
  /** Values per batch and transaction: 500 by default, at most MAX_BATCH_SIZE. */
  readonly batchSize?: number;
  /** Called after each committed batch and when the job ends (the CLI's progress lines). */
  readonly onProgress?: (progress: RewrapProgress) => void;
}

export interface Rewrapper {
  /**
   * Starts a job for the active key, or continues the one the database shows as running (taking it
   * over: a runner elsewhere stops at its next batch). Counts the values to do first (one read pass).
   * PC_KEYRING_EMPTY without an active key.
   */
  start(): Promise<RewrapProgress>;
  progress(): Promise<RewrapProgress>;
  /** At node start: continues a job the database shows as running (the process running it died). */
  resume(): Promise<void>;
  /** Stops this process's runner after its current batch; the job stays `running` for a later resume. */
  stop(): Promise<void>;
  /** Resolves when this process's runner has ended (at once when none runs). */
  whenIdle(): Promise<RewrapProgress>;
}

const TABLE = 'keyring_rewrap';
const NAME = 'current';
const VALUE_FAILURES = new Set(['PC_KEYRING_KEY_MISSING', 'PC_KEYRING_DECRYPT_FAILED']);
/** Each value of a batch is 3 SQL parameters (writeIfUnchanged); SQLite allows 32,766 per statement. */
export const MAX_BATCH_SIZE = 5000;
const IDLE = IDLE_REWRAP;

/** The job row. `cursor` is kept as stored: the batch's compare-and-set compares it verbatim. */
interface Job {
  readonly status: RewrapProgress['status'];
  readonly target_key: string;
  readonly total: number;
  readonly done: number;
  readonly failed: number;
  readonly cursor: string;
  readonly started_at: number;
  readonly updated_at: number;
  readonly finished_at: number | null;
  readonly owner: string | null;
}

interface Cursor {
  /** Index in store.encryptedColumns, and its `<table>.<column>` to notice a list that changed between runs. */
  readonly column: number;
  readonly at: string | null;
  readonly after: string | null;
}

/** Thrown inside a batch's transaction to roll it back: another runner has taken the job. */
class JobLost extends Error {}

export function createRewrapper(deps: RewrapperDeps): Rewrapper {
  const { store, cipher, logger, owner } = deps;
  const db = store.db;
  const columns = store.encryptedColumns;
  const now = deps.now ?? Date.now;
  const batchSize = deps.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) throw new Error(`rewrap batch size must be 1 to ${MAX_BATCH_SIZE}`);
  const columnName = (i: number) => (i < columns.length ? `${columns[i]!.table}.${columns[i]!.column}` : null);
  const cursorAt = (column: number, after: string | null) => JSON.stringify({ column, at: columnName(column), after } satisfies Cursor);

  let runner: Promise<void> | null = null;
  let stopping = false;
  // This runner's own pace (a resumed job's row also counts the time the job lay dead).
  let pace: { readonly since: number; readonly base: number } | null = null;
  // start() and resume() one at a time, so two calls cannot both create a job.
  let serial: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = serial.then(fn, fn);
    serial = next.catch(() => {});
    return next;
  };

  // Counters and times are numbers on both databases (PostgreSQL's int8 is read as a number: store/dialects/postgres.ts).
  const readJob = async () => ((await db.selectFrom(TABLE).selectAll().where('name', '=', NAME).executeTakeFirst()) as Job | undefined) ?? null;

  /** Values not yet under `target`: what a job for it has to do (and will try). */
  async function countPending(target: string): Promise<number> {
    let n = 0;
    await forEachStoredValue(
      store,
      (_, value) => {
        if (!isEncryptedValue(value) || ciphertextKeyId(value) !== target) n++;
      },
      batchSize,
    );
    return n;
  }

  /** Writes a fresh job for `target` (replacing any), owned by this runner. */
  async function newJob(target: string): Promise<Job> {
    const total = await countPending(target);
    const at = now();
    const job: Job = {
      status: 'running',
      target_key: target,
      total,
      done: 0,
      failed: 0,
      cursor: cursorAt(0, null),
      started_at: at,
      updated_at: at,
      finished_at: null,
      owner,
    };
    await db
      .insertInto(TABLE)
      .values({ name: NAME, ...job })
      .onConflict((oc) => oc.column('name').doUpdateSet(job))
      .execute();
    logger.info({ target_key: target, total }, 'keyring rewrap started');
    return job;
  }

  /** Makes this runner the owner of the running job; null when there is none. */
  async function claim(): Promise<Job | null> {
    const result = await db.updateTable(TABLE).set({ owner, updated_at: now() }).where('name', '=', NAME).where('status', '=', 'running').executeTakeFirst();
    return Number(result.numUpdatedRows) === 1 ? readJob() : null;
  }

  /** Writes `change` to the job row only if it is still this runner's job as `job` saw it. */
  async function advance(trx: Kysely<any>, job: Job, change: Partial<Job>): Promise<void> {
    const result = await trx
      .updateTable(TABLE)
      .set({ ...change, updated_at: change.updated_at ?? now() })
      .where('name', '=', NAME)
      .where('owner', '=', owner)
      .where('status', '=', 'running')
      .where('target_key', '=', job.target_key)
      .where('cursor', '=', job.cursor)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) throw new JobLost();
  }

  function launch(job: Job): void {
    stopping = false;
    pace = { since: now(), base: job.done + job.failed };
    runner = run(job)
      .catch(async (err: unknown) => {
        logger.error(
          { code: isPortcullisError(err) ? err.code : undefined, reason: (err as Error)?.message },
          'keyring rewrap stopped by an error; start it again',
        );
        await db
          .updateTable(TABLE)
          .set({ status: 'failed', updated_at: now() })
          .where('name', '=', NAME)
          .where('owner', '=', owner)
          .where('status', '=', 'running')
          .execute()
          .catch(() => {});
      })
      .finally(() => {
        runner = null;
      });
  }

  async function run(start: Job): Promise<void> {
    let job = start;
    const logged = new Set<string>();
    while (!stopping) {
      const active = deps.activeKeyId();
      if (active === null) {
        logger.warn({ code: 'PC_KEYRING_EMPTY' }, 'keyring rewrap paused: the keyring has no active key; start it again once one is active');
        return;
      }
      const cursor = JSON.parse(job.cursor) as Cursor;
      if (active !== job.target_key || cursor.at !== columnName(cursor.column)) {
        // A new active key, or a list of columns that changed since the cursor was written: start over (skipping what is done).
        job = await newJob(active);
        pace = { since: now(), base: 0 };
        logged.clear();
        continue;
      }
      let next: Job;
      try {
        next = cursor.column >= columns.length ? await finish(job) : await batch(job, cursor, logged);
      } catch (err) {
        if (!(err instanceof JobLost)) throw err;
        logger.info({ target_key: job.target_key, owner }, 'keyring rewrap taken over by another runner; this one stops');
        return;
      }
      if (next !== job) deps.onProgress?.(toProgress(next));
      job = next;
      if (job.status !== 'running') return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async function finish(job: Job): Promise<Job> {
    const at = now();
    const change = { status: 'done', updated_at: at, finished_at: at } as const;
    await db.transaction().execute((trx) => advance(trx, job, change));
    logger.info({ target_key: job.target_key, total: job.total, done: job.done, failed: job.failed }, 'keyring rewrap finished');
    return { ...job, ...change };
  }

  /** One batch of one column: read, re-encrypt (synchronously), then write it and the cursor in one transaction. */
  async function batch(job: Job, cursor: Cursor, logged: Set<string>): Promise<Job> {
    const column = columns[cursor.column]!;
    const rows = await readColumnBatch(db, column, cursor.after, batchSize);
    // The active key may have changed while the batch was read; the loop then restarts for it.
    if (deps.activeKeyId() !== job.target_key) return job;
    const updates: ValueUpdate[] = [];
    let done = 0;
    let failed = 0;
    const rewrap = (value: string, aad: string): string => {
      if (isEncryptedValue(value) && ciphertextKeyId(value) === job.target_key) return value;
      try {
        const next = cipher.encrypt(isEncryptedValue(value) ? cipher.decrypt(value, aad) : value, aad);
        done++;
        return next;
      } catch (err) {
        if (!isPortcullisError(err) || !VALUE_FAILURES.has(err.code)) throw err;
        failed++;
        reportFailure(err, value, column, logged);
        return value;
      }
    };
    for (const row of rows) {
      const to = rewrapRow(row, column, rewrap);
      if (to !== null) updates.push({ id: row.id, from: column.json && store.dialect === 'postgres' ? JSON.stringify(row.raw) : row.raw, to });
    }
    const last = rows[rows.length - 1];
    const next = rows.length < batchSize || !last ? cursorAt(cursor.column + 1, null) : cursorAt(cursor.column, last.id);
    const change = { cursor: next, done: job.done + done, failed: job.failed + failed, updated_at: now() };
    await db.transaction().execute(async (trx) => {
      await writeIfUnchanged(trx, store.dialect, column, updates);
      await advance(trx, job, change);
    });
    return { ...job, ...change };
  }

  /** The new stored form of a row's value, or null when nothing in it changes. */
  function rewrapRow(row: StoredRow, column: EncryptedColumn, rewrap: (value: string, aad: string) => string): string | null {
    if (!column.json) {
      const value = String(row.raw);
      const next = rewrap(value, fieldAad(column.table, column.column, row.id));
      return next === value ? null : next;
    }
    let changed = false;
    const next = mapStrings(parseJsonColumn(store.dialect, row.raw), column.column, (v, at) => {
      if (!isEncryptedValue(v)) return v;
      const out = rewrap(v, fieldAad(column.table, at, row.id));
      changed ||= out !== v;
      return out;
    });
    return changed ? JSON.stringify(next) : null;
  }

  function reportFailure(err: PortcullisError, value: string, column: EncryptedColumn, logged: Set<string>): void {
    const keyId = ciphertextKeyId(value) ?? 'malformed';
    if (logged.has(keyId)) return;
    logged.add(keyId);
    logger.warn(
      { code: err.code, key_id: keyId, table: column.table, column: column.column },
      `keyring rewrap: values ${keyId === 'malformed' ? 'that are not well-formed ciphertexts' : `encrypted with key ${keyId}`} cannot be re-encrypted (${err.code}); they are left as they are and counted as failed`,
    );
  }

  function toProgress(job: Job | null): RewrapProgress {
    if (!job) return IDLE;
    const own = job.owner === owner && pace !== null ? pace : { since: job.started_at, base: 0 };
    const seconds = (job.updated_at - own.since) / 1000;
    const rate = seconds > 0 ? (job.done + job.failed - own.base) / seconds : null;
    const left = Math.max(0, job.total - job.done - job.failed);
    const eta = job.status === 'done' ? 0 : rate ? Math.ceil(left / rate) : null;
    const s = (ms: number | null) => (ms === null ? null : Math.floor(ms / 1000));
    return {
      status: job.status,
      target_key: job.target_key,
      total: job.total,
      done: job.done,
      failed: job.failed,
      rate: rate === null ? null : Math.round(rate),
      eta_seconds: eta,
      started_at: s(job.started_at),
      updated_at: s(job.updated_at),
      finished_at: s(job.finished_at),
    };
  }

  const progress = async () => toProgress(await readJob());

  return {
    start: () =>
      exclusive(async () => {
        if (runner) return progress();
        const active = deps.activeKeyId();
        if (active === null) throw new PortcullisError('PC_KEYRING_EMPTY', { message: 'Cannot rewrap: the keyring has no active key; activate one first' });
        // A job the database shows as running (another process, or one that died) is continued, not duplicated.
        launch((await claim()) ?? (await newJob(active)));
        return progress();
      }),
    progress,
    resume: () =>
      exclusive(async () => {
        if (runner) return;
        const job = await claim();
        if (job) {
          logger.info({ target_key: job.target_key, done: job.done, total: job.total }, 'keyring rewrap resumed');
          launch(job);
        }
      }),
    async stop() {
      stopping = true;
      await runner;
    },
    async whenIdle() {
      await runner;
      return progress();
    },
  };
}

/** A new stored value for one row, written only if the row still holds `from` (as read). */
export interface ValueUpdate {
  readonly id: string;
  readonly from: unknown;
  readonly to: string;
}

/**
 * Writes a batch of one column in one statement, each value only where its row still holds the
 * value read (compare-and-set: a value changed meanwhile was written under the active key and
 * stays). One statement, not one per row: the per-statement cost dominated the rewrap on SQLite.
 * VALUES columns are `column1…3` on both databases; on PostgreSQL they are text, cast to the
 * column types (every entity id is a uuid; a JSON column is jsonb) so the id index is used.
 */
export async function writeIfUnchanged(db: Kysely<any>, dialect: DialectName, column: EncryptedColumn, updates: readonly ValueUpdate[]): Promise<void> {
  if (updates.length === 0) return;
  const pg = dialect === 'postgres';
  const idCast = sql.raw(pg ? '::uuid' : '');
  const valueCast = sql.raw(pg && column.json ? '::jsonb' : '');
  const values = sql.join(updates.map((u) => sql`(${u.id}, ${u.from}, ${u.to})`));
  await sql`update ${sql.table(column.table)} set ${sql.ref(column.column)} = v.column3${valueCast}
    from (values ${values}) as v
    where ${sql.ref(`${column.table}.id`)} = v.column1${idCast} and ${sql.ref(`${column.table}.${column.column}`)} = v.column2${valueCast}`.execute(db);
}
