/**
 * Free-form JSON a caller may attach to an entity (API-key `metadata` values): bounded in nesting
 * depth and in serialized size, so a field meant for "a few facts" cannot hold a megabyte, nor a
 * structure that code walking it later would recurse through. Depth is measured without
 * recursion, before anything serializes the value.
 */
import Type, { type TSchema } from 'typebox';

export interface JsonBounds {
  /** Largest `JSON.stringify(value)`, in UTF-8 bytes. */
  readonly maxBytes: number;
  /** Deepest nesting: a scalar is 0, `[]` and `{}` are 1, `{"a":[1]}` is 2. */
  readonly maxDepth: number;
}

export interface JsonBoundsProblem {
  readonly kind: 'depth' | 'size';
  readonly message: string;
}

/** The first bound `value` breaks, or undefined when it keeps both. */
export function jsonBoundsProblem(value: unknown, bounds: JsonBounds): JsonBoundsProblem | undefined {
  if (exceedsDepth(value, bounds.maxDepth)) return { kind: 'depth', message: `must not nest deeper than ${bounds.maxDepth} levels` };
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  if (bytes > bounds.maxBytes) return { kind: 'size', message: `must be at most ${bounds.maxBytes} bytes as JSON (is ${bytes})` };
  return undefined;
}

/** Any JSON value within `bounds`; a value outside them is refused with a message saying which bound. */
export function BoundedJson(bounds: JsonBounds, description: string): TSchema {
  return Type.Refine(
    Type.Unknown({ description: `${description} (at most ${bounds.maxBytes} bytes as JSON, nesting at most ${bounds.maxDepth} levels)` }),
    (value) => jsonBoundsProblem(value, bounds) === undefined,
    (value) => jsonBoundsProblem(value, bounds)?.message ?? 'is not valid',
  );
}

/** True when `value` nests deeper than `maxDepth`; stops as soon as it knows. */
function exceedsDepth(value: unknown, maxDepth: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    if (depth + 1 > maxDepth) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
}
