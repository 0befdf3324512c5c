/**
 * Entity ↔ row: foreign refs to `<field>_id` columns, JSON to text/jsonb, booleans to 0/1 on
 * SQLite, encrypted fields through the field cipher, and the `cache_key` that makes
 * `uniqueTogether` field sets unique even when some are null.
 *
 * Encryption: a field flagged `encrypted` of any kind is stored as one `$ke$` string (a string as
 * is, any other kind as its JSON text, so booleans, numbers and objects come back with their
 * type); its column must therefore be text. Inside a JSON field, the `nested` paths of a row
 * (e.g. a plugin's secret config fields) are encrypted one by one, in place, with the AAD
 * `<entity>|<field>.<path>|<id>`. A value without the `$ke$` marker is plaintext written before
 * encryption existed: it is read as such and encrypted on its next write.
 */
import type { EntityDefinition, FieldDef } from '../entities/entity.js';
import type { DialectName } from './dialect.js';
import { fieldAad, isEncryptedValue, type FieldCipher } from './field-cipher.js';
import { tolerate, UNREADABLE } from './unreadable.js';
import type { PortcullisError } from '../errors/portcullis-error.js';

export type Row = Record<string, unknown>;

/** Values encrypted inside one JSON field: the paths (property names; `*` for every array element) of a row. */
export interface NestedEncryption {
  readonly field: string;
  paths(entity: Record<string, unknown>): readonly (readonly string[])[];
}

export interface RowCodec {
  encode(entity: Record<string, unknown>): Row;
  /**
   * `tolerant`: a field that cannot be decrypted is left undefined and the entity carries the
   * error under UNREADABLE (see unreadable.ts); otherwise the error is thrown.
   */
  decode(row: Row, options?: { readonly tolerant?: boolean }): Record<string, unknown>;
  /** The column that stores `field`. */
  column(field: string): string;
}

export function createRowCodec(def: EntityDefinition, dialect: DialectName, cipher: FieldCipher, nested?: NestedEncryption): RowCodec {
  const fields = Object.entries(def.fields);
  const column = (field: string) => (def.fields[field]?.kind === 'foreign' ? `${field}_id` : field);
  if (nested && def.fields[nested.field]?.kind !== 'json') throw new Error(`entity ${def.name}: nested encryption needs a JSON field, ${nested.field} is not`);
  if (nested && def.fields[nested.field]?.encrypted)
    throw new Error(`entity ${def.name}: ${nested.field} is encrypted whole; it cannot have nested encryption too`);
  return {
    column,
    encode(entity) {
      const id = entity['id'] as string;
      const row: Row = { id, created_at: entity['created_at'], updated_at: entity['updated_at'] };
      for (const [name, f] of fields) {
        const value = entity[name];
        if (f.kind === 'foreign') row[column(name)] = (value as { id?: string } | null | undefined)?.id ?? null;
        else if (value === null || value === undefined) row[name] = null;
        else if (f.encrypted) row[name] = cipher.encrypt(f.kind === 'string' ? String(value) : JSON.stringify(value), fieldAad(def.name, name, id));
        else if (f.kind === 'json') {
          const paths = nested?.field === name ? nested.paths(entity) : null;
          const stored = paths ? mapPaths(value, paths, name, (v, at) => (typeof v === 'string' ? cipher.encrypt(v, fieldAad(def.name, at, id)) : v)) : value;
          row[name] = JSON.stringify(stored);
        } else if (f.kind === 'boolean') row[name] = dialect === 'sqlite' ? (value ? 1 : 0) : Boolean(value);
        else row[name] = value;
      }
      if (def.uniqueTogether) row['cache_key'] = cacheKey(def, entity);
      return row;
    },
    decode(row, options) {
      const id = row['id'] as string;
      const entity: Record<string, unknown> = { id };
      const tolerant = options?.tolerant === true;
      const failures: PortcullisError[] = [];
      for (const [name, f] of fields) {
        const value = row[column(name)];
        if (f.kind === 'foreign') entity[name] = value == null ? null : { id: value };
        else if (value === null || value === undefined) entity[name] = null;
        else if (f.encrypted && isEncryptedValue(value)) {
          const text = tolerate(tolerant, failures, () => cipher.decrypt(value, fieldAad(def.name, name, id)));
          entity[name] = text === undefined || f.kind === 'string' ? text : JSON.parse(text);
        } else entity[name] = decodePlain(f, value);
      }
      if (nested && entity[nested.field] != null) {
        // Every `$ke$` string in the field, wherever it is: a path the schema no longer marks still decrypts.
        entity[nested.field] = mapStrings(entity[nested.field], nested.field, (v, at) =>
          isEncryptedValue(v) ? tolerate(tolerant, failures, () => cipher.decrypt(v, fieldAad(def.name, at, id))) : v,
        );
      }
      if (failures.length > 0) Object.defineProperty(entity, UNREADABLE, { value: failures[0], enumerable: false });
      entity['created_at'] = Number(row['created_at']);
      entity['updated_at'] = Number(row['updated_at']);
      return entity;
    },
  };
}

function decodePlain(f: FieldDef, value: unknown): unknown {
  if (f.kind === 'json') return typeof value === 'string' ? JSON.parse(value) : value;
  if (f.kind === 'boolean') return value === true || value === 1;
  return value;
}

/**
 * A copy of `value` with `fn` applied to the value at each path (`*` walks every array element).
 * `fn` gets the dotted path without array indexes (`config.auth.password`): a value moved to
 * another element of the same list still decrypts, one moved to another field does not.
 */
export function mapPaths(value: unknown, paths: readonly (readonly string[])[], prefix: string, fn: (v: unknown, at: string) => unknown): unknown {
  let out = value;
  for (const path of paths) out = mapPath(out, path, 0, prefix, fn);
  return out;
}

function mapPath(value: unknown, path: readonly string[], i: number, at: string, fn: (v: unknown, at: string) => unknown): unknown {
  if (i === path.length) return value == null ? value : fn(value, at);
  const step = path[i]!;
  if (step === '*') return Array.isArray(value) ? value.map((v) => mapPath(v, path, i + 1, at, fn)) : value;
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, step)) return value;
  const obj = value as Record<string, unknown>;
  return { ...obj, [step]: mapPath(obj[step], path, i + 1, `${at}.${step}`, fn) };
}

/** A copy of a JSON value with `fn` applied to every string, given its dotted path without array indexes. */
export function mapStrings(value: unknown, at: string, fn: (v: string, at: string) => unknown): unknown {
  if (typeof value === 'string') return fn(value, at);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, at, fn));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = mapStrings(v, `${at}.${k}`, fn);
  return out;
}

/** `<entity>:<v1>:<v2>…` over the first uniqueTogether set; foreign values by id, nulls empty. */
export function cacheKey(def: EntityDefinition, entity: Record<string, unknown>): string {
  const set = def.uniqueTogether?.[0] ?? [];
  const parts = set.map((field) => {
    const value = entity[field];
    if (value && typeof value === 'object') return (value as { id: string }).id;
    return value == null ? '' : String(value);
  });
  return `${def.name}:${parts.join(':')}`;
}
