/**
 * The paths of the fields a schema flags (`encrypted`, `referenceable`) next to their own TypeBox
 * definition, e.g. `Type.String({ encrypted: true })`: so flags and validation cannot drift apart.
 * A path is property names, with `*` for every element of an array.
 */
export type SchemaFlag = 'encrypted' | 'referenceable';

export function flaggedPaths(schema: unknown, flag: SchemaFlag): string[][] {
  const out: string[][] = [];
  const seen = new Set<string>();
  const walk = (node: unknown, path: string[]) => {
    if (!node || typeof node !== 'object') return;
    const s = node as Record<string, unknown>;
    if (s[flag] === true && path.length > 0) {
      const key = path.join('\u0000');
      if (!seen.has(key)) {
        seen.add(key);
        out.push(path);
      }
      return;
    }
    if (s['properties'] && typeof s['properties'] === 'object') {
      for (const [name, child] of Object.entries(s['properties'] as Record<string, unknown>)) walk(child, [...path, name]);
    }
    if (s['items']) walk(s['items'], [...path, '*']);
    for (const union of ['anyOf', 'oneOf', 'allOf'] as const) {
      if (Array.isArray(s[union])) for (const branch of s[union] as unknown[]) walk(branch, path);
    }
  };
  walk(schema, []);
  return out;
}
