/**
 * Writes an ImportPlan through the store's DAOs and the API-key service, so every write records
 * the cluster event a running node reacts to. Items are written in dependency order, one
 * transaction each; an item already in the database (by Kong's id or by name; a key by its value)
 * is left as it is, so running the import again creates nothing twice and never brings back a key
 * revoked since. With `dryRun` nothing is written: the outcomes say what would happen.
 */
import type { Store } from '../store/store.js';
import type { ApiKeyService } from '../apikeys/lifecycle/api-key-service.js';
import { isPortcullisError } from '../errors/portcullis-error.js';
import { parseApiKey } from '../apikeys/key-format.js';
import { sha256Hex } from '../apikeys/hashing/sha256-hex.js';
import type { ImportPlan, PlannedBasicAuth, PlannedEntity, PlannedItem, PlannedKey, PlanRef } from './import-plan.js';
import { daoOf, findExisting } from './find-existing.js';

export type Outcome = 'created' | 'exists' | 'skipped' | 'failed';

export interface ItemResult {
  readonly kind: PlannedItem['kind'];
  readonly label: string;
  readonly path: string;
  readonly outcome: Outcome;
  /** Why it was skipped or failed (never a secret). */
  readonly reason?: string;
}

export interface ApplyDeps {
  readonly store: Store;
  readonly keys: ApiKeyService;
  readonly dryRun: boolean;
  /** Called after each credential (key or basic-auth), whose hashing is the slow part. */
  readonly onCredential?: (done: number, total: number) => void;
}

/** An item that cannot be written as planned: `skipped` (it depends on what is not imported) or `failed` (a conflict). */
class ItemRefused extends Error {
  constructor(
    message: string,
    readonly outcome: 'skipped' | 'failed',
  ) {
    super(message);
  }
}

export async function applyPlan(plan: ImportPlan, deps: ApplyDeps): Promise<ItemResult[]> {
  const { store } = deps;
  const ids = new Map<string, string>();
  const results: ItemResult[] = [];
  const credentialTotal = plan.items.filter((i) => i.kind === 'api_key' || i.kind === 'basic_auth').length;
  let credentialsDone = 0;

  const resolve = async (ref: PlanRef, kind: string): Promise<string> => {
    if ('plan' in ref) {
      const id = ids.get(ref.plan);
      if (!id) throw new ItemRefused(`refers to ${ref.plan}, which is not imported`, 'skipped');
      return id;
    }
    const dao = daoOf(store, kind as PlannedEntity['kind']);
    const found = await dao.get(ref.existing);
    if (!found) throw new ItemRefused(`refers to ${kind} ${JSON.stringify(ref.existing)}, which is neither in the file nor in the database`, 'skipped');
    return found.id;
  };

  const entity = async (item: PlannedEntity): Promise<Outcome> => {
    const foreign: Record<string, string> = {};
    for (const [field, ref] of Object.entries(item.refs)) foreign[field] = await resolve(ref, field === 'client_certificate' ? 'certificate' : field);
    const existing = await findExisting(store, item, foreign);
    if (existing) return (ids.set(item.path, existing), 'exists');
    if (deps.dryRun) return (ids.set(item.path, item.id ?? `(new ${item.path})`), 'created');
    const body = { ...item.input, ...Object.fromEntries(Object.entries(foreign).map(([f, id]) => [f, { id }])) };
    const created = await daoOf(store, item.kind).insert(body, item.id ? { id: item.id } : {});
    ids.set(item.path, created.id);
    return 'created';
  };

  const apiKey = async (item: PlannedKey): Promise<Outcome> => {
    const consumerId = await resolve(item.consumer, 'consumer');
    const value = item.value.reveal();
    const parsed = parseApiKey(value);
    const lookup = parsed.kind === 'portcullis' ? `${parsed.prefix}_${parsed.id}` : `sha256:${sha256Hex(value)}`;
    const found = await store.apiKeys.findByLookup(lookup);
    if (found) {
      if (found.record.consumer?.id === consumerId && found.record.service === null) return 'exists';
      throw new ItemRefused('the same key value is already registered to another owner', 'failed');
    }
    const sameName = await store.apiKeys.getByName({ service_id: null, consumer_id: consumerId }, item.name);
    if (sameName?.status === 'active') throw new ItemRefused(`the consumer already has another active key named ${item.name}`, 'failed');
    if (deps.dryRun) return 'created';
    await deps.keys.create(
      { consumer: consumerId },
      {
        name: item.name,
        api_key: value,
        metadata: { imported_from: 'kong', ...(item.id ? { kong_id: item.id } : {}) },
        ...(item.expiresAt !== null ? { expires_at: new Date(item.expiresAt * 1000).toISOString() } : {}),
      },
      { protectedConnection: true },
    );
    return 'created';
  };

  const basicAuth = async (item: PlannedBasicAuth): Promise<Outcome> => {
    const consumerId = await resolve(item.consumer, 'consumer');
    const found = await store.basicAuthCredentials.get(item.username);
    if (found) {
      if (found.consumer.id === consumerId) return 'exists';
      throw new ItemRefused('the username is taken by another consumer', 'failed');
    }
    if (deps.dryRun) return 'created';
    await store.basicAuthCredentials.insert(
      { consumer: { id: consumerId }, username: item.username, password: item.password.reveal(), tags: item.tags },
      item.id ? { id: item.id } : {},
    );
    return 'created';
  };

  const write = (item: PlannedItem): Promise<Outcome> => (item.kind === 'api_key' ? apiKey(item) : item.kind === 'basic_auth' ? basicAuth(item) : entity(item));
  const record = (item: PlannedItem, result: Omit<ItemResult, 'kind' | 'label' | 'path'>) => {
    results.push({ kind: item.kind, label: item.label, path: item.path, ...result });
    if (item.kind === 'api_key' || item.kind === 'basic_auth') deps.onCredential?.(++credentialsDone, credentialTotal);
  };
  /** Writes one item in its own transaction; a refusal fails (or skips) this item only. */
  const writeOne = async (item: PlannedItem) => {
    try {
      record(item, { outcome: await write(item) });
    } catch (err) {
      const refusal = refusalOf(err);
      if (!refusal) throw err;
      record(item, refusal);
    }
  };

  const items = plan.items;
  for (let i = 0; i < items.length;) {
    if (items[i]!.kind !== 'api_key' || deps.dryRun) {
      await writeOne(items[i++]!);
      continue;
    }
    // Keys are written in chunks, one transaction each: a commit waits for the disk, and one per
    // key made 10,000 keys take minutes. A chunk closes after KEY_CHUNK_MS of work, so a slow hash
    // algorithm never holds the write lock long. A refusal rolls its chunk back; the chunk is then
    // written key by key, so the refused key fails alone.
    const start = i;
    const done: { item: PlannedItem; outcome: Outcome }[] = [];
    try {
      const began = Date.now();
      await store.transaction(async () => {
        for (; i < items.length && items[i]!.kind === 'api_key' && i - start < KEY_CHUNK_MAX && (i === start || Date.now() - began < KEY_CHUNK_MS); i++) {
          done.push({ item: items[i]!, outcome: await write(items[i]!) });
        }
      });
      for (const d of done) record(d.item, { outcome: d.outcome });
    } catch (err) {
      if (!refusalOf(err)) throw err;
      for (let k = start; k <= i && k < items.length; k++) await writeOne(items[k]!);
      i++;
    }
  }
  return results;
}

/** Most keys written in one transaction, and the most time one chunk may hold the write lock for. */
const KEY_CHUNK_MAX = 500;
const KEY_CHUNK_MS = 250;

/** What a refused write records: `skipped`/`failed` with why; null for an error that must stop the import (a 5xx: the database is unavailable). */
function refusalOf(err: unknown): { outcome: 'skipped' | 'failed'; reason: string } | null {
  if (err instanceof ItemRefused) return { outcome: err.outcome, reason: err.message };
  if (isPortcullisError(err) && err.status < 500) return { outcome: 'failed', reason: describe(err) };
  return null;
}

/** The error's code, message and field paths: catalogue messages never hold a submitted value. */
function describe(err: { code: string; message: string; fields?: readonly { path: string; message: string }[] | undefined }): string {
  const fields = err.fields?.map((f) => `${f.path} ${f.message}`).join('; ');
  return `${err.code}: ${err.message}${fields ? ` (${fields})` : ''}`;
}
