/**
 * The database's side of a diff and the content of a dump: every entity of every declarative kind,
 * in file form (references as the referred entity's key), with its secrets as stored (decrypted:
 * the caller masks them before anything is shown). Reads fail on a row the keyring cannot decrypt:
 * a dump or a diff that silently left it out would delete it on the next apply.
 */
import type { EntityName } from '../entities/entity.js';
import type { Store } from '../store/store.js';
import { DECLARATIVE_KINDS, referredKind } from './declarative-kinds.js';
import { itemKey, type DeclarativeState, type Item } from './declarative-item.js';

export async function readCurrentState(store: Pick<Store, 'dao'>): Promise<DeclarativeState> {
  const state = new Map<EntityName, Item[]>();
  // Kinds come in dependency order, so the keys of referred entities are known when a reference is read.
  const keysById = new Map<EntityName, Map<string, string>>();
  for (const kind of DECLARATIVE_KINDS) {
    const dao = store.dao(kind.name);
    if (!dao) throw new Error(`the store has no ${kind.name}`);
    const keyOf = (target: EntityName, id: string) => keysById.get(target)?.get(id) ?? id;
    const items: Item[] = [];
    for (const entity of await dao.listAll()) {
      const stored = entity as unknown as Record<string, unknown>;
      const fields: Record<string, unknown> = {};
      for (const name of kind.fields) {
        const f = kind.definition.fields[name]!;
        const value = stored[name];
        const target = referredKind(f);
        if (target && f.kind === 'foreign') fields[name] = value == null ? null : keyOf(target, (value as { id: string }).id);
        else if (target && Array.isArray(value)) fields[name] = value.map((id) => keyOf(target, String(id)));
        else fields[name] = value ?? null;
      }
      items.push({ kind: kind.name, id: entity.id, key: itemKey(kind, entity.id, fields)!, fields });
    }
    keysById.set(kind.name, new Map(items.map((i) => [i.id!, i.key])));
    state.set(kind.name, items);
  }
  return state;
}
