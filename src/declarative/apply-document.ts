/**
 * `portcullis config apply`, without the terminal: load and check the whole file, read the
 * database, compute the diff, then apply it in one transaction (or, for a dry run, apply it and
 * roll back). Each stage stops at its errors: a file with any error writes nothing.
 */
import type { EntityName } from '../entities/entity.js';
import type { FieldError } from '../errors/portcullis-error.js';
import type { PrepareHook } from '../store/dao-context.js';
import type { Store } from '../store/store.js';
import { applyChanges, type ApplyOptions } from './apply-changes.js';
import type { NestedSecrets } from './declarative-secrets.js';
import { loadDocument } from './load-document.js';
import { planChanges, type Change } from './plan-changes.js';
import { readCurrentState } from './read-current-state.js';

export interface DeclarativeDeps {
  readonly store: Pick<Store, 'dao' | 'transaction' | 'apiKeys' | 'basicAuthCredentials'>;
  /** The JSON fields holding encrypted values (plugin and vault configs), as the store was built with. */
  readonly nested: NestedSecrets;
  /** The store's prepare hooks for plugins and vaults. */
  readonly hooks: Partial<Record<EntityName, PrepareHook>>;
}

export type ApplyDocumentResult =
  | { readonly ok: true; readonly changes: readonly Change[]; readonly dryRun: boolean }
  /** `file`: the file is not valid; `plan`: it cannot be applied to this database; `apply`: the database refused a write (all rolled back). */
  | { readonly ok: false; readonly stage: 'file' | 'plan' | 'apply'; readonly errors: readonly FieldError[]; readonly changes: readonly Change[] };

export async function applyDocument(deps: DeclarativeDeps, text: string, options: ApplyOptions = {}): Promise<ApplyDocumentResult> {
  const loaded = loadDocument(text);
  if (!loaded.ok) return { ok: false, stage: 'file', errors: loaded.errors, changes: [] };
  const plan = await planChanges(deps, loaded.items, await readCurrentState(deps.store));
  if (!plan.ok) return { ok: false, stage: 'plan', errors: plan.errors, changes: [] };
  const applied = await applyChanges(deps.store, plan.changes, options);
  if (!applied.ok) return { ok: false, stage: 'apply', errors: applied.errors, changes: plan.changes };
  return { ok: true, changes: plan.changes, dryRun: options.dryRun === true };
}
