/**
 * The fields of a Kong entity that the mapping did not use. A field absent, null, empty or equal
 * to Kong's default changes nothing; any other is reported (imported without it), so nothing in
 * the file is dropped without a word.
 */
import { isDeepStrictEqual } from 'node:util';
import { at, type DeckObject } from './deck-path.js';
import type { UnsupportedItem } from './import-plan.js';

/** Fields Kong sets itself and that carry no configuration. */
const BOOKKEEPING = new Set(['id', 'created_at', 'updated_at', 'ws_id']);

export interface LeftoverSpec {
  /** decK's name of the entity (`route`, `service` …). */
  readonly entity: string;
  readonly name: string;
  readonly path: string;
  /** Fields the mapping used (or reports itself). */
  readonly used: readonly string[];
  /** Kong's defaults of fields Portcullis does not have: harmless when equal. */
  readonly harmless?: Readonly<Record<string, unknown>>;
  /** Why a field is not migrated, when more can be said than "not supported". */
  readonly why?: Readonly<Record<string, string>>;
}

export function leftoverFields(obj: DeckObject, spec: LeftoverSpec): UnsupportedItem[] {
  const out: UnsupportedItem[] = [];
  for (const [field, value] of Object.entries(obj)) {
    if (BOOKKEEPING.has(field) || spec.used.includes(field) || isEmpty(value)) continue;
    if (spec.harmless && field in spec.harmless && isDeepStrictEqual(value, spec.harmless[field])) continue;
    out.push({
      entity: `${spec.entity}.${field}`,
      name: spec.name,
      path: at(spec.path, field),
      reason: spec.why?.[field] ?? `Portcullis has no ${spec.entity} field "${field}"; imported without it`,
      skipped: false,
    });
  }
  return out;
}

function isEmpty(value: unknown): boolean {
  return (
    value === null || value === undefined || (Array.isArray(value) && value.length === 0) || (typeof value === 'object' && Object.keys(value).length === 0)
  );
}
