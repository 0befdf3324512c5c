/**
 * `portcullis config dump`: the database as a declarative document. Stable: lists sorted by key
 * (code-point order, not the locale's), fields in the entity definition's order, every field
 * written (null included), no timestamps, so two dumps of the same state are byte-identical and a
 * dump diffs cleanly in version control. `id` is written only for entities identified by it
 * (certificates, CA certificates, an unnamed service or route, a consumer without a username).
 * Secrets are masked (declarative-secrets.ts); API keys and basic-auth credentials are not dumped.
 */
import { stringify } from 'yaml';
import type { Store } from '../store/store.js';
import { DECLARATIVE_KINDS, FORMAT_VERSION } from './declarative-kinds.js';
import { maskSecrets, type NestedSecrets } from './declarative-secrets.js';
import { readCurrentState } from './read-current-state.js';
import type { DeclarativeState, Item } from './declarative-item.js';

export type DeclarativeDocument = Record<string, unknown>;

/** The document of `state`, secrets masked. */
export function documentOf(state: DeclarativeState, nested: NestedSecrets): DeclarativeDocument {
  const doc: DeclarativeDocument = { _format_version: FORMAT_VERSION };
  for (const kind of DECLARATIVE_KINDS) {
    const items = [...(state.get(kind.name) ?? [])].sort(byKey);
    doc[kind.name] = items.map((item) => {
      const fields = maskSecrets(kind.name, item.fields, nested);
      return item.key === item.id ? { id: item.id, ...fields } : { ...fields };
    });
  }
  return doc;
}

/** Reads the database and returns its document. */
export async function dumpState(store: Pick<Store, 'dao'>, nested: NestedSecrets): Promise<DeclarativeDocument> {
  return documentOf(await readCurrentState(store), nested);
}

/** The document as YAML (block style, no line folding, so PEM blocks stay literal) or as JSON. */
export function serializeDocument(doc: DeclarativeDocument, format: 'yaml' | 'json'): string {
  if (format === 'json') return `${JSON.stringify(doc, null, 2)}\n`;
  return stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
}

function byKey(a: Item, b: Item): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}
