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

  for (const item of plan.items) {
    const base = { kind: item.kind, label: item.label, path: item.path };
    try {
      const outcome = item.kind === 'api_key' ? await apiKey(item) : item.kind === 'basic_auth' ? await basicAuth(item) : await entity(item);
      results.push({ ...base, outcome });
    } catch (err) {
      if (err instanceof ItemRefused) results.push({ ...base, outcome: err.outcome, reason: err.message });
      // A refused write fails this item; an unavailable database (5xx) stops the import.
      else if (isPortcullisError(err) && err.status < 500) results.push({ ...base, outcome: 'failed', reason: describe(err) });
      else throw err;
    }
    if (item.kind === 'api_key' || item.kind === 'basic_auth') deps.onCredential?.(++credentialsDone, credentialTotal);
  }
  return results;
}

/** The error's code, message and field paths: catalogue messages never hold a submitted value. */
function describe(err: { code: string; message: string; fields?: readonly { path: string; message: string }[] | undefined }): string {
  const fields = err.fields?.map((f) => `${f.path} ${f.message}`).join('; ');
  return `${err.code}: ${err.message}${fields ? ` (${fields})` : ''}`;
}
