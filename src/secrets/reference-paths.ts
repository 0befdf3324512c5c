/**
 * Where references sit in a JSON value (a plugin's or a vault's `config`), and whether a schema
 * allows them there: a schema flags `referenceable: true` next to a field's TypeBox definition
 * (schema/flagged-paths.ts), with `*` for every element of an array.
 */
import type { FieldError } from '../errors/portcullis-error.js';
import { findFieldReference } from './reference.js';

/** A string of a JSON value that mentions `{vault://`, with its path (array indexes as strings). */
export interface ReferenceSite {
  readonly path: readonly string[];
  readonly value: string;
}

/** Every string in `value` mentioning a reference (cheap: a substring test per string). */
export function referenceSites(value: unknown, path: readonly string[] = []): ReferenceSite[] {
  const out: ReferenceSite[] = [];
  const walk = (node: unknown, at: readonly string[]) => {
    if (typeof node === 'string') {
      if (node.includes('{vault://')) out.push({ path: at, value: node });
    } else if (Array.isArray(node)) {
      node.forEach((v, i) => walk(v, [...at, String(i)]));
    } else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) walk(v, [...at, k]);
    }
  };
  walk(value, path);
  return out;
}

/** Whether a concrete path (`headers.0.value`) matches one of the flagged paths (`headers.*.value`). */
export function isFlaggedPath(path: readonly string[], flagged: readonly (readonly string[])[]): boolean {
  return flagged.some((f) => f.length === path.length && f.every((part, i) => part === '*' || part === path[i]));
}

/**
 * The problems of the references in `config`: malformed ones, and any in a field the schema does
 * not mark referenceable (it would be taken literally, which is never what its author meant).
 * Paths are reported under `prefix` (`config.password`).
 */
export function referenceErrors(config: unknown, referenceable: readonly (readonly string[])[], prefix: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const site of referenceSites(config)) {
    const path = [prefix, ...site.path].join('.');
    if (!isFlaggedPath(site.path, referenceable)) {
      errors.push({ path, message: 'this field does not accept vault references' });
      continue;
    }
    const found = findFieldReference(site.value);
    if (found.kind === 'malformed') errors.push({ path, message: found.problem });
  }
  return errors;
}
