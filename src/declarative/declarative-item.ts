/**
 * One entity as the declarative file sees it (the "file form"): the kind's fields, references to
 * other entities written as the referred entity's key, and the key that identifies it across a
 * dump and an apply. Both sides of a diff (the database and the file) are turned into items.
 */
import type { EntityName } from '../entities/entity.js';
import { declarativeKind, type DeclarativeKind } from './declarative-kinds.js';

export interface Item {
  readonly kind: EntityName;
  /** The stored id (database side) or the id the file gives (file side), else null. */
  readonly id: string | null;
  /** What identifies the entity: its name, username, prefix, id, or a plugin's scope (itemKey). */
  readonly key: string;
  /** The file form: field → value; foreign fields hold the referred entity's key or null. */
  readonly fields: Readonly<Record<string, unknown>>;
}

/** An item read from the file, with where it stands there (`routes[3]`). */
export interface FileItem extends Item {
  readonly path: string;
}

/** The state on one side of a diff: items per kind. */
export type DeclarativeState = ReadonlyMap<EntityName, readonly Item[]>;

/**
 * The key of an entity: a plugin's is its name and scope (unique together in the store); others
 * their key field when set, else their id; null when neither (the file must then give one).
 */
export function itemKey(kind: DeclarativeKind, id: string | null, fields: Readonly<Record<string, unknown>>): string | null {
  if (kind.name === 'plugins') return JSON.stringify([fields['name'], fields['service'] ?? null, fields['route'] ?? null, fields['consumer'] ?? null]);
  const named = kind.keyField ? fields[kind.keyField] : null;
  return typeof named === 'string' ? named : id;
}

/** How an item is named in a diff line: `service billing`, `plugin rate-limiting (service billing)`, `plugin cors (global)`. */
export function itemLabel(item: Pick<Item, 'kind' | 'key' | 'fields'>): string {
  const kind = declarativeKind(item.kind);
  if (item.kind !== 'plugins') return `${kind.definition.singular} ${item.key}`;
  const scope = (['service', 'route', 'consumer'] as const).filter((f) => item.fields[f] != null).map((f) => `${f} ${String(item.fields[f])}`);
  return `plugin ${String(item.fields['name'])} (${scope.length ? scope.join(', ') : 'global'})`;
}

/** `routes[0].paths.2` → `routes[0].paths[2]`: list indexes in brackets, as the file shows them. */
export function bracketIndexes(path: string): string {
  return path.replace(/\.(\d+)(?=\.|$)/g, '[$1]');
}
