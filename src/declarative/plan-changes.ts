/**
 * The diff of a declarative file against the database: per entity, create, update (naming the
 * fields that differ, never their values) or delete, in the order they will run (creates and
 * updates in dependency order, then deletes in reverse). Secrets kept by a marker get their stored
 * value here; plugin and vault configs pass their own schemas (defaults filled, as the store
 * would, so an unchanged config is no change); each entity's cross-field checks run. Deleting a
 * service or consumer that owns API keys or basic-auth credentials is refused: the database would
 * delete them with it, and an apply never deletes credentials.
 */
import { isDeepStrictEqual } from 'node:util';
import type { BaseEntity, EntityName } from '../entities/entity.js';
import type { FieldError } from '../errors/portcullis-error.js';
import type { PrepareHook } from '../store/dao-context.js';
import type { Store } from '../store/store.js';
import { DECLARATIVE_KINDS, type DeclarativeKind } from './declarative-kinds.js';
import { bracketIndexes, itemLabel, type DeclarativeState, type FileItem, type Item } from './declarative-item.js';
import { restoreSecrets, type NestedSecrets } from './declarative-secrets.js';
import { ownedCredentials } from './owned-credentials.js';

export interface Change {
  readonly op: 'create' | 'update' | 'delete';
  readonly kind: EntityName;
  readonly key: string;
  /** `service billing`, `plugin cors (global)` … */
  readonly label: string;
  /** For an update: the fields that differ. */
  readonly fields: readonly string[];
  /** For a create or update: the entity as the file wants it, secrets restored. */
  readonly desired: FileItem | null;
  /** For an update or delete: the stored entity's id. */
  readonly currentId: string | null;
}

export interface PlanDeps {
  readonly store: Pick<Store, 'apiKeys' | 'basicAuthCredentials'>;
  readonly nested: NestedSecrets;
  /** The store's prepare hooks for plugins and vaults (their config schemas). */
  readonly hooks: Partial<Record<EntityName, PrepareHook>>;
}

export type Plan = { readonly ok: true; readonly changes: readonly Change[] } | { readonly ok: false; readonly errors: readonly FieldError[] };

export async function planChanges(deps: PlanDeps, file: ReadonlyMap<EntityName, readonly FileItem[]>, current: DeclarativeState): Promise<Plan> {
  const errors: FieldError[] = [];
  const writes: Change[] = [];
  const deletes: Change[] = [];
  for (const kind of DECLARATIVE_KINDS) {
    const stored = current.get(kind.name) ?? [];
    const byKey = new Map(stored.map((s) => [s.key, s]));
    const byId = new Map(stored.map((s) => [s.id!, s]));
    const matched = new Set<string>();
    for (const item of file.get(kind.name) ?? []) {
      let match = byKey.get(item.key);
      if (!match && item.id !== null) match = byId.get(item.id);
      if (match && matched.has(match.id!)) match = undefined;
      if (match) matched.add(match.id!);
      const desired = await prepare(deps, kind, item, match ?? null);
      if (desired.errors.length > 0) {
        errors.push(...desired.errors);
        continue;
      }
      const changed = match ? kind.fields.filter((f) => !isDeepStrictEqual(desired.item.fields[f], match.fields[f])) : [];
      if (match && changed.length === 0) continue;
      // Checks run only on what will be written: a stored certificate that has since expired does not block other changes.
      if (desired.problems.length > 0) {
        errors.push(...desired.problems);
        continue;
      }
      if (match)
        writes.push({ op: 'update', kind: kind.name, key: item.key, label: itemLabel(item), fields: changed, desired: desired.item, currentId: match.id });
      else writes.push({ op: 'create', kind: kind.name, key: item.key, label: itemLabel(item), fields: [], desired: desired.item, currentId: null });
    }
    for (const item of stored) {
      if (matched.has(item.id!)) continue;
      const label = itemLabel(item);
      const owned = await ownedCredentials(deps.store, kind.name, item.id!);
      if (owned)
        errors.push({
          path: label,
          message: `cannot be deleted: it owns ${owned}, which deleting it would delete too (an apply never deletes credentials); keep it in the file, or delete it through the Admin API`,
        });
      else deletes.push({ op: 'delete', kind: kind.name, key: item.key, label, fields: [], desired: null, currentId: item.id });
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, changes: [...writes, ...deletes.reverse()] };
}

interface Prepared {
  /** The entity to compare and write: markers replaced, config defaults filled. */
  readonly item: FileItem;
  /** Why it cannot be compared at all (a marker with nothing behind it). */
  readonly errors: readonly FieldError[];
  /** Why it cannot be written (its config schema, its cross-field checks). */
  readonly problems: readonly FieldError[];
}

/** The file's entity ready to compare and write, with what stands against it. */
async function prepare(deps: PlanDeps, kind: DeclarativeKind, item: FileItem, match: Item | null): Promise<Prepared> {
  const restored = restoreSecrets(kind.name, item.fields, match?.fields ?? null, deps.nested, item.path);
  if (restored.errors.length > 0) return { item, errors: restored.errors, problems: [] };
  const fields: Record<string, unknown> = { ...restored.fields };
  const problems: FieldError[] = [];
  const hook = deps.hooks[kind.name];
  if (hook) {
    const hooked = await hook({ ...fields });
    problems.push(...hooked.errors);
    // A hook adjusts the entity's own values (config defaults); references stay as the file names them.
    if (hooked.errors.length === 0)
      for (const f of kind.fields) if (kind.definition.fields[f]!.kind !== 'foreign' && f in hooked.entity) fields[f] = hooked.entity[f];
  }
  if (problems.length === 0 && kind.definition.check) problems.push(...kind.definition.check(fields as unknown as Omit<BaseEntity, keyof BaseEntity>));
  const at = (p: FieldError) => ({ path: bracketIndexes(`${item.path}.${p.path}`), message: p.message });
  return { item: { ...item, fields }, errors: [], problems: problems.map(at) };
}
