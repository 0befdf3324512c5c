/**
 * One validator for every schema in Portcullis (config, Admin API bodies, plugin configs):
 * TypeBox's compiler, with errors turned into `FieldError`s whose paths use dots
 * (`config.key_names.0`), the shape the Admin API returns in `fields`.
 */
import { Compile } from 'typebox/compile';
import type { TSchema, Static } from 'typebox';
import type { FieldError } from '../errors/portcullis-error.js';

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
      return toFieldErrors(compiled.Errors(value), pathPrefix);
    },
  };
}

interface RawError {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

/** Converts JSON-Schema errors to field errors: one per path, the most specific message kept. */
export function toFieldErrors(raw: Iterable<RawError>, pathPrefix = ''): FieldError[] {
  const byPath = new Map<string, string>();
  for (const err of raw) {
    // "schema is false" duplicates the additionalProperties error with a worse message.
    if (err.keyword === 'boolean') continue;
    let path = err.instancePath.split('/').filter(Boolean).join('.');
    let message = err.message;
    if (err.keyword === 'required') {
      const missing = (err.params['requiredProperties'] as string[] | undefined) ?? [];
      for (const name of missing) setOnce(byPath, join(pathPrefix, join(path, name)), 'is required');
      continue;
    }
    if (err.keyword === 'additionalProperties') {
      const extra = (err.params['additionalProperties'] as string[] | undefined) ?? [];
      for (const name of extra) setOnce(byPath, join(pathPrefix, join(path, name)), 'is not a known field');
      continue;
    }
    if (err.keyword === 'anyOf' || err.keyword === 'oneOf') message = 'does not match any allowed form';
    path = join(pathPrefix, path);
    setOnce(byPath, path, message);
  }
  return [...byPath].map(([path, message]) => ({ path: path || '(root)', message }));
}

function join(a: string, b: string): string {
  return a && b ? `${a}.${b}` : a || b;
}

function setOnce(map: Map<string, string>, key: string, value: string): void {
  if (!map.has(key)) map.set(key, value);
}
