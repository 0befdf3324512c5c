/**
 * Runs a plan in ONE store transaction, through the DAOs (so every write is checked as an Admin
 * API write would be and records its cluster event, published to the nodes only after the
 * commit). The first failure rolls everything back and is returned with the path of the entity
 * in the file (or the label of a delete). A dry run executes the same writes and rolls back at
 * the end, so it also finds what only the database can (a unique name, a certificate's SNI taken).
 */
import type { EntityName } from '../entities/entity.js';
import { isUuid } from '../entities/common-schemas.js';
import { isPortcullisError, type FieldError } from '../errors/portcullis-error.js';
import type { Store } from '../store/store.js';
import { declarativeKind, referredKind } from './declarative-kinds.js';
import { bracketIndexes, type FileItem } from './declarative-item.js';
import type { Change } from './plan-changes.js';
import { ownedCredentials } from './owned-credentials.js';

export interface ApplyOptions {
  readonly dryRun?: boolean;
  /** Told after each change (progress on long applies). */
  readonly onProgress?: (done: number, total: number) => void;
}

export type ApplyResult = { readonly ok: true } | { readonly ok: false; readonly errors: readonly FieldError[]; readonly status: number };

type ApplyStore = Pick<Store, 'transaction' | 'dao' | 'apiKeys' | 'basicAuthCredentials'>;

/** Thrown inside the transaction to roll it back; never leaves this module. */
class Rollback extends Error {
  constructor(readonly result: ApplyResult) {
    super('rollback');
  }
}

export async function applyChanges(store: ApplyStore, changes: readonly Change[], options: ApplyOptions = {}): Promise<ApplyResult> {
  if (changes.length === 0) return { ok: true };
  try {
    await store.transaction(async () => {
      let done = 0;
      for (const change of changes) {
        const failure = await run(store, change);
        if (failure) throw new Rollback(failure);
        options.onProgress?.(++done, changes.length);
      }
      if (options.dryRun) throw new Rollback({ ok: true });
    });
    return { ok: true };
  } catch (err) {
    if (err instanceof Rollback) return err.result;
    throw err;
  }
}

/** One change; an expected failure (a PortcullisError from the DAO) as a value. */
async function run(store: ApplyStore, change: Change): Promise<ApplyResult | null> {
  const dao = store.dao(change.kind)!;
  try {
    if (change.op === 'delete') {
      const refused = await ownerRefusal(store, change);
      if (refused) return refused;
      await dao.delete(change.currentId!);
    } else if (change.op === 'update') await dao.upsert(change.currentId!, writeInput(change.desired!));
    else await dao.insert(writeInput(change.desired!), change.desired!.id ? { id: change.desired!.id } : {});
    return null;
  } catch (err) {
    if (!isPortcullisError(err) || err.status >= 500) throw err;
    const at = change.desired?.path ?? change.label;
    const errors = err.fields?.length
      ? err.fields.map((f) => ({ path: bracketIndexes(`${at}.${f.path}`), message: f.message }))
      : [{ path: at, message: err.message }];
    return { ok: false, errors, status: err.status };
  }
}

/** The refusal of deleting a service or consumer that owns credentials now (its row locked first, as key creation locks it). */
async function ownerRefusal(store: ApplyStore, change: Change): Promise<ApplyResult | null> {
  if (change.kind !== 'services' && change.kind !== 'consumers') return null;
  await store.apiKeys.lockOwner(change.kind, change.currentId!);
  const owned = await ownedCredentials(store, change.kind, change.currentId!);
  return owned ? { ok: false, status: 409, errors: [{ path: change.label, message: `cannot be deleted: it owns ${owned} (created since the diff)` }] } : null;
}

/** The Admin API body of a file entity: references as `{id}`, `{username}` or `{name}`. */
export function writeInput(item: FileItem): Record<string, unknown> {
  const kind = declarativeKind(item.kind);
  const input: Record<string, unknown> = {};
  for (const name of kind.fields) {
    const f = kind.definition.fields[name]!;
    const value = item.fields[name];
    const target = referredKind(f);
    input[name] = f.kind === 'foreign' && target && typeof value === 'string' ? reference(target, value) : value;
  }
  return input;
}

/** A key is the referred entity's name (username for a consumer), or its id when it has none. */
function reference(target: EntityName, key: string): Record<string, string> {
  if (isUuid(key)) return { id: key };
  return target === 'consumers' ? { username: key } : { name: key };
}
