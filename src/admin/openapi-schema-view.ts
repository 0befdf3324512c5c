/**
 * How a validation schema is shown in the OpenAPI document, without changing what it validates:
 * TypeBox writes a union of literals as `anyOf` of `const`s; readers and linters expect `enum`
 * (`"status": {"enum": ["active", "revoked", "expired"]}`), so such unions are rewritten as one,
 * with `null` kept as a member when the union allows it. Works on plain JSON (the document after
 * its JSON round trip), in place.
 */

type Json = Record<string, unknown>;

/** Rewrites every `anyOf` made only of `const` (and `null`) branches as an `enum`, at any depth. */
export function constUnionsAsEnums(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) constUnionsAsEnums(item);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const object = node as Json;
  for (const value of Object.values(object)) constUnionsAsEnums(value);
  const branches = object['anyOf'];
  if (!Array.isArray(branches) || branches.length < 2) return;
  const values: unknown[] = [];
  const types = new Set<string>();
  for (const branch of branches as Json[]) {
    const keys = Object.keys(branch).filter((k) => k !== 'description');
    if ('const' in branch && keys.every((k) => k === 'const' || k === 'type')) {
      values.push(branch['const']);
      types.add(typeof branch['type'] === 'string' ? branch['type'] : typeof branch['const']);
    } else if (branch['type'] === 'null' && keys.length === 1) {
      values.push(null);
      types.add('null');
    } else return;
  }
  if (!values.some((v) => v !== null)) return;
  delete object['anyOf'];
  object['type'] = types.size === 1 ? [...types][0] : [...types];
  object['enum'] = values;
}
