/**
 * Secrets in the declarative file. A dump writes an encrypted field that holds a literal secret
 * (a certificate's `key`, a plugin's or vault's config fields their schemas mark `encrypted`) as
 * SECRET_MARKER; a `{vault://…}` reference names the secret without being it and is written as it is.
 * An apply puts the stored value back in place of each marker; a marker with no stored value
 * behind it (a new entity, a field that was empty) is an error naming the field.
 */
import type { EntityName } from '../entities/entity.js';
import type { FieldError } from '../errors/portcullis-error.js';
import type { NestedEncryption } from '../store/row-codec.js';
import { declarativeKind, SECRET_MARKER } from './declarative-kinds.js';
import { bracketIndexes } from './declarative-item.js';

/** Fields encrypted inside JSON fields, per kind (what the store is built with: plugin and vault configs). */
export type NestedSecrets = Partial<Record<EntityName, NestedEncryption>>;

type Fields = Readonly<Record<string, unknown>>;
type Step = string | number;

const isLiteral = (v: unknown): v is string => typeof v === 'string' && !v.includes('{vault://');

/** The concrete places (`['config', 'auth', 'password']`, with list indexes) of an entity's secret fields. */
function secretPlaces(kind: EntityName, fields: Fields, nested: NestedSecrets): Step[][] {
  const def = declarativeKind(kind).definition;
  const places: Step[][] = Object.entries(def.fields)
    .filter(([, f]) => f.encrypted)
    .map(([name]) => [name]);
  const inner = nested[kind];
  if (inner) for (const path of inner.paths(fields)) expand(fields[inner.field], path, [inner.field], places);
  return places;
}

/** Adds the concrete places `path` reaches in `value` (`*` is every list element). */
function expand(value: unknown, path: readonly string[], at: Step[], out: Step[][]): void {
  if (path.length === 0) return void out.push(at);
  if (value === null || typeof value !== 'object') return;
  const [step, ...rest] = path as [string, ...string[]];
  if (step === '*') {
    if (Array.isArray(value)) value.forEach((v, i) => expand(v, rest, [...at, i], out));
  } else if (!Array.isArray(value) && Object.hasOwn(value, step)) expand((value as Record<string, unknown>)[step], rest, [...at, step], out);
}

function getAt(value: unknown, place: readonly Step[]): unknown {
  let v = value;
  for (const step of place) v = v !== null && typeof v === 'object' ? (v as Record<Step, unknown>)[step] : undefined;
  return v;
}

/** A copy of `value` with the value at `place` replaced. */
function setAt(value: unknown, place: readonly Step[], replacement: unknown): unknown {
  if (place.length === 0) return replacement;
  const [step, ...rest] = place as [Step, ...Step[]];
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) };
  copy[step] = setAt(copy[step], rest, replacement);
  return copy;
}

/** The fields with each literal secret replaced by the marker. */
export function maskSecrets(kind: EntityName, fields: Fields, nested: NestedSecrets): Fields {
  let out: unknown = fields;
  for (const place of secretPlaces(kind, fields, nested)) if (isLiteral(getAt(out, place))) out = setAt(out, place, SECRET_MARKER);
  return out as Fields;
}

/**
 * The file's fields with each marker replaced by the stored value at the same place (`stored`:
 * the database's fields of the entity this one updates, null for a new one), or the errors.
 */
export function restoreSecrets(
  kind: EntityName,
  fields: Fields,
  stored: Fields | null,
  nested: NestedSecrets,
  path: string,
): { fields: Fields; errors: FieldError[] } {
  let out: unknown = fields;
  const errors: FieldError[] = [];
  for (const place of secretPlaces(kind, fields, nested)) {
    if (getAt(out, place) !== SECRET_MARKER) continue;
    const kept = stored ? getAt(stored, place) : undefined;
    if (typeof kept === 'string') out = setAt(out, place, kept);
    else
      errors.push({
        path: bracketIndexes(`${path}.${place.join('.')}`),
        message: `is ${JSON.stringify(SECRET_MARKER)} but no stored value is there to keep (${stored ? 'the stored field is empty' : 'a new entity'}): give the value or a {vault://…} reference`,
      });
  }
  return { fields: out as Fields, errors };
}
