/**
 * One validator for every schema in Portcullis (config, Admin API bodies, plugin configs):
 * TypeBox's compiler, with errors turned into `FieldError`s whose paths use dots
 * (`config.key_names.0`), the shape the Admin API returns in `fields`. The list is bounded:
 * TypeBox stops after a few errors (its `maxErrors` setting, 8), so a body of a hundred thousand
 * unknown keys gets a short answer, and each path segment it echoes is cut to 64 characters.
 */
import { Compile } from 'typebox/compile';
import type { TSchema, Static } from 'typebox';
import type { FieldError } from '../errors/portcullis-error.js';
import { safeTextMessage } from './safe-text.js';

/** Longer path segments (keys the client chose) are cut to this many characters and `…`. */
const MAX_SEGMENT_LENGTH = 64;

export interface Validator<T> {
  /** Returns the field errors of `value`, or an empty array when it is valid. */
  errors(value: unknown, pathPrefix?: string): FieldError[];
  check(value: unknown): value is T;
}

/** Compiles `schema` once; call the result per value. */
export function createValidator<S extends TSchema>(schema: S): Validator<Static<S>> {
  const compiled = Compile(schema);
  return {
    check: (value: unknown): value is Static<S> => compiled.Check(value),
    errors(value, pathPrefix = '') {
      if (compiled.Check(value)) return [];
      const fields = toFieldErrors(compiled.Errors(value), pathPrefix);
      // Fail closed: a value the schema refuses is never reported as valid.
      return fields.length > 0 ? fields : [{ path: pathPrefix || '(root)', message: 'is not valid' }];
    },
  };
}

interface RawError {
  keyword: string;
  schemaPath?: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

/** Converts JSON-Schema errors to field errors: one per path, the most specific message kept. */
export function toFieldErrors(raw: Iterable<RawError>, pathPrefix = ''): FieldError[] {
  const byPath = new Map<string, string>();
  const add = (path: string, message: string) => {
    if (!byPath.has(path)) byPath.set(path, message);
  };
  for (const err of raw) {
    // "property names … are invalid" repeats the error at each such key (quoting every key, unclipped).
    if (err.keyword === 'propertyNames') continue;
    const path = err.instancePath.split('/').filter(Boolean).map(clip).join('.');
    // "schema is false" at an unknown field. TypeBox reports these first and stops after a few
    // errors, so skipping them once let a body with enough unknown fields pass as valid.
    if (err.keyword === 'boolean') {
      add(join(pathPrefix, path), err.schemaPath?.endsWith('/additionalProperties') ? 'is not a known field' : 'is not allowed');
      continue;
    }
    if (err.keyword === 'required') {
      const missing = (err.params['requiredProperties'] as string[] | undefined) ?? [];
      for (const name of missing) add(join(pathPrefix, join(path, clip(name))), 'is required');
      continue;
    }
    if (err.keyword === 'additionalProperties') {
      const extra = (err.params['additionalProperties'] as string[] | undefined) ?? [];
      for (const name of extra) add(join(pathPrefix, join(path, clip(name))), 'is not a known field');
      continue;
    }
    let message = err.message;
    if (err.keyword === 'anyOf' || err.keyword === 'oneOf') message = 'does not match any allowed form';
    if (err.keyword === 'pattern') message = safeTextMessage(String(err.params['pattern'])) ?? message;
    add(join(pathPrefix, path), message);
  }
  return [...byPath].map(([path, message]) => ({ path: path || '(root)', message }));
}

function clip(segment: string): string {
  return segment.length > MAX_SEGMENT_LENGTH ? `${segment.slice(0, MAX_SEGMENT_LENGTH)}…` : segment;
}

function join(a: string, b: string): string {
  return a && b ? `${a}.${b}` : a || b;
}
