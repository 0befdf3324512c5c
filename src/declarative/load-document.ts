/**
 * Reads a declarative file (YAML, or JSON, which YAML reads too) and checks all of it before
 * anything is compared or written: `_format_version`, known top-level lists, each entity against
 * its kind's input schema (the Admin API's), a key or id for each, no key twice, and every
 * reference naming an entity of the file (the file is the whole state: what it does not hold is
 * deleted). Every problem is reported with its path (`routes[3].paths[0]`), not just the first.
 */
import { parseDocument } from 'yaml';
import type { EntityName } from '../entities/entity.js';
import { isUuid } from '../entities/common-schemas.js';
import type { FieldError } from '../errors/portcullis-error.js';
import { normalizeText } from '../schema/safe-text.js';
import { createValidator, type Validator } from '../schema/validator.js';
import { DECLARATIVE_KINDS, FORMAT_VERSION, referredKind, type DeclarativeKind } from './declarative-kinds.js';
import { bracketIndexes, itemKey, type FileItem } from './declarative-item.js';

/** Largest file read (bytes) and most entities per list: bounds on what one apply may ask of the node. */
export const MAX_DOCUMENT_BYTES = 32 * 1024 * 1024;
export const MAX_ENTITIES_PER_KIND = 100_000;

export type LoadResult =
  { readonly ok: true; readonly items: ReadonlyMap<EntityName, readonly FileItem[]> } | { readonly ok: false; readonly errors: FieldError[] };

const validators = new Map<EntityName, Validator<unknown>>(DECLARATIVE_KINDS.map((k) => [k.name, createValidator(k.definition.inputSchema)]));

export function loadDocument(text: string): LoadResult {
  if (Buffer.byteLength(text) > MAX_DOCUMENT_BYTES) return fail('(file)', `is larger than ${MAX_DOCUMENT_BYTES} bytes`);
  // Without prettyErrors a message quotes no source text: the line it points at may hold a secret.
  const parsed = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (parsed.errors.length > 0) {
    const at = (e: (typeof parsed.errors)[number]) => {
      const before = text.slice(0, e.pos[0]);
      return `line ${before.split('\n').length}, column ${before.length - before.lastIndexOf('\n')}: `;
    };
    return { ok: false, errors: parsed.errors.slice(0, 10).map((e) => ({ path: '(file)', message: `${at(e)}${e.message}` })) };
  }
  let doc: unknown;
  try {
    doc = parsed.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // The yaml package refuses alias expansion past the bound ("billion laughs").
    return fail('(file)', (err as Error).message);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return fail('(file)', 'must be a mapping of entity lists');
  const top = doc as Record<string, unknown>;
  const errors: FieldError[] = [];
  if (top['_format_version'] !== FORMAT_VERSION) errors.push({ path: '_format_version', message: `must be "${FORMAT_VERSION}"` });
  const known = new Set(DECLARATIVE_KINDS.map((k) => k.name as string));
  for (const name of Object.keys(top))
    if (name !== '_format_version' && !known.has(name)) errors.push({ path: name.slice(0, 64), message: 'is not a known list' });
  const items = new Map<EntityName, FileItem[]>();
  for (const kind of DECLARATIVE_KINDS) items.set(kind.name, readList(kind, top[kind.name], errors));
  if (errors.length === 0) resolveReferences(items, errors);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, items };
}

function readList(kind: DeclarativeKind, list: unknown, errors: FieldError[]): FileItem[] {
  if (list == null) return [];
  if (!Array.isArray(list)) return (void errors.push({ path: kind.name, message: 'must be a list' }), []);
  if (list.length > MAX_ENTITIES_PER_KIND) return (void errors.push({ path: kind.name, message: `holds more than ${MAX_ENTITIES_PER_KIND} entities` }), []);
  const out: FileItem[] = [];
  const seen = new Map<string, string>();
  list.forEach((raw, i) => {
    const path = `${kind.name}[${i}]`;
    const item = readEntity(kind, raw, path, errors);
    if (!item) return;
    // A plugin's key is made of its references: checked once they are resolved.
    const other = kind.name === 'plugins' ? undefined : seen.get(item.key);
    if (other) return void errors.push({ path, message: `has the same ${kind.keyField ?? 'id'} as ${other}` });
    seen.set(item.key, path);
    out.push(item);
  });
  return out;
}

/** One entity: schema-checked as an Admin API body would be, defaults applied, normalised, projected on the file's fields. */
function readEntity(kind: DeclarativeKind, raw: unknown, path: string, errors: FieldError[]): FileItem | null {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return (void errors.push({ path, message: 'must be a mapping' }), null);
  const { id: rawId, ...rest } = raw as Record<string, unknown>;
  if (rawId !== undefined && (typeof rawId !== 'string' || !isUuid(rawId))) return (void errors.push({ path: `${path}.id`, message: 'must be a UUID' }), null);
  const id = typeof rawId === 'string' ? rawId.toLowerCase() : null;
  // References are written as a key or an id; the input schema takes them as {id} / {name} / {username}.
  const input: Record<string, unknown> = { ...rest };
  const refs: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(kind.definition.fields)) {
    if (f.kind !== 'foreign' || !(name in rest)) continue;
    const ref = rest[name];
    if (ref !== null && typeof ref !== 'string') {
      errors.push({ path: `${path}.${name}`, message: `must be the key or id of a ${f.foreign} entity, or null` });
      continue;
    }
    refs[name] = ref;
    input[name] = ref === null ? null : isUuid(ref) ? { id: ref } : { name: ref.slice(0, 128) };
  }
  const schemaErrors = validators.get(kind.name)!.errors(input, path);
  if (schemaErrors.length > 0) return (void errors.push(...schemaErrors.map((e) => ({ ...e, path: bracketIndexes(e.path) }))), null);
  const def = kind.definition;
  const text = normalizeText(def.inputSchema, { ...def.defaults, ...input });
  const normalized = def.normalize ? def.normalize(text) : text;
  const fields: Record<string, unknown> = {};
  for (const name of kind.fields) fields[name] = name in refs ? refs[name] : (normalized[name] ?? null);
  if (kind.keyField === null && kind.name !== 'plugins' && id === null)
    return (void errors.push({ path: `${path}.id`, message: `is required: a ${def.singular} is identified by its id` }), null);
  const key = kind.name === 'plugins' ? '' : itemKey(kind, id, fields);
  if (key === null) return (void errors.push({ path: `${path}.${kind.keyField}`, message: `is required, or give an id` }), null);
  return { kind: kind.name, id, key, fields, path };
}

/**
 * Rewrites each reference as the key of the entity of the file it names (by key or by id), or
 * reports it; then gives plugins their keys, which are made of their references.
 */
function resolveReferences(items: Map<EntityName, FileItem[]>, errors: FieldError[]): void {
  for (const kind of DECLARATIVE_KINDS) {
    const list = items.get(kind.name)!;
    list.forEach((item, i) => {
      const fields: Record<string, unknown> = { ...item.fields };
      for (const name of kind.fields) {
        const target = referredKind(kind.definition.fields[name]!);
        if (!target || fields[name] == null) continue;
        const candidates = items.get(target) ?? [];
        const find = (ref: string) => candidates.find((c) => c.key === ref || (c.id !== null && c.id === ref.toLowerCase()))?.key;
        const refs = Array.isArray(fields[name]) ? (fields[name] as string[]) : [fields[name] as string];
        const keys = refs.map((ref, j) => {
          const found = find(ref);
          const at = Array.isArray(fields[name]) ? `${item.path}.${name}[${j}]` : `${item.path}.${name}`;
          if (found === undefined)
            errors.push({ path: at, message: `names no ${target} entity of the file (${JSON.stringify(ref.slice(0, 128))}); the file holds the whole state` });
          return found ?? ref;
        });
        fields[name] = Array.isArray(fields[name]) ? keys : keys[0];
      }
      const key = kind.name === 'plugins' ? itemKey(kind, item.id, fields)! : item.key;
      list[i] = { ...item, key, fields };
    });
    if (kind.name === 'plugins') {
      const seen = new Map<string, string>();
      for (const item of list) {
        const other = seen.get(item.key);
        if (other) errors.push({ path: item.path, message: `configures the same plugin in the same place as ${other}` });
        seen.set(item.key, item.path);
      }
    }
  }
}

function fail(path: string, message: string): LoadResult {
  return { ok: false, errors: [{ path, message }] };
}
