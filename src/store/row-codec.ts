/**
 * Entity ↔ row: foreign refs to `<field>_id` columns, JSON to text/jsonb, booleans to 0/1 on
 * SQLite, encrypted fields through the field cipher, and the `cache_key` that makes
 * `uniqueTogether` field sets unique even when some are null.
 */
import type { EntityDefinition } from '../entities/entity.js';
import type { DialectName } from './dialect.js';
import { fieldAad, type FieldCipher } from './field-cipher.js';

export type Row = Record<string, unknown>;

export interface RowCodec {
  encode(entity: Record<string, unknown>): Row;
  decode(row: Row): Record<string, unknown>;
  /** The column that stores `field`. */
  column(field: string): string;
}

export function createRowCodec(def: EntityDefinition, dialect: DialectName, cipher: FieldCipher): RowCodec {
  const fields = Object.entries(def.fields);
  const column = (field: string) => (def.fields[field]?.kind === 'foreign' ? `${field}_id` : field);
  return {
    column,
    encode(entity) {
      const id = entity['id'] as string;
      const row: Row = { id, created_at: entity['created_at'], updated_at: entity['updated_at'] };
      for (const [name, f] of fields) {
        const value = entity[name];
        if (f.kind === 'foreign') row[column(name)] = (value as { id?: string } | null | undefined)?.id ?? null;
        else if (value === null || value === undefined) row[name] = null;
        else if (f.kind === 'json') row[name] = JSON.stringify(value);
        else if (f.kind === 'boolean') row[name] = dialect === 'sqlite' ? (value ? 1 : 0) : Boolean(value);
        else if (f.encrypted) row[name] = cipher.encrypt(String(value), fieldAad(def.name, name, id));
        else row[name] = value;
      }
      if (def.uniqueTogether) row['cache_key'] = cacheKey(def, entity);
      return row;
    },
    decode(row) {
      const id = row['id'] as string;
      const entity: Record<string, unknown> = { id };
      for (const [name, f] of fields) {
        const value = row[column(name)];
        if (f.kind === 'foreign') entity[name] = value == null ? null : { id: value };
        else if (value === null || value === undefined) entity[name] = null;
        else if (f.kind === 'json') entity[name] = typeof value === 'string' ? JSON.parse(value) : value;
        else if (f.kind === 'boolean') entity[name] = value === true || value === 1;
        else if (f.encrypted) entity[name] = cipher.decrypt(String(value), fieldAad(def.name, name, id));
        else entity[name] = value;
      }
      entity['created_at'] = Number(row['created_at']);
      entity['updated_at'] = Number(row['updated_at']);
      return entity;
    },
  };
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
