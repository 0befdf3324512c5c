/**
 * An example value made from a JSON schema, for the OpenAPI document: every request body and
 * response shows one without a hand-written copy that could drift from the schema. A schema's own
 * `examples[0]`, `const`, `default` or first `enum` value wins; otherwise one is built from its
 * type: required properties only (so that mutually exclusive optional fields never meet), one
 * item per array, the smallest allowed number, a well-formed string for known formats or property
 * names (`id`, `*_at`, `url`), else the first of a few candidates its `pattern` accepts. A pattern
 * none fits gets a plain word that may not match: the OpenAPI lint
 * (`src/admin/openapi-lint.test.ts`) validates every example against its schema and names it.
 */

type Schema = Record<string, unknown>;

/** Sample strings per JSON-schema `format`. */
const FORMATS: Readonly<Record<string, string>> = {
  uuid: '7f1c4e1a-3b9d-4c8e-9a51-2d6b0f3e8c47',
  'date-time': '2026-01-01T00:00:00Z',
  date: '2026-01-01',
  uri: 'https://upstream.example.net/v1',
  hostname: 'api.example.net',
  email: 'ops@example.net',
  ipv4: '192.0.2.10',
  ipv6: '2001:db8::10',
};

/** Samples by property name, used when they fit the schema: `id` → a UUID, `*_at` → a time … */
function byName(name: string | undefined, type: unknown): unknown {
  if (name === undefined) return undefined;
  // Only `id`: other `*_id` fields are of many shapes (a key's public id is 16 hex, a node's a name).
  if (name === 'id') return type === 'string' ? FORMATS['uuid'] : undefined;
  if (name.endsWith('_at') || name === 'valid_until') return type === 'integer' ? 1767225600 : type === 'string' ? FORMATS['date-time'] : undefined;
  if (name === 'url') return FORMATS['uri'];
  if (name === 'host') return FORMATS['hostname'];
  return undefined;
}

/**
 * An example of `schema` (a TypeBox schema: no `$ref`), the value of property `name` when given.
 * Depth-bounded.
 */
export function exampleOf(schema: unknown, depth = 0, name?: string): unknown {
  if (!schema || typeof schema !== 'object' || depth > 12) return null;
  const s = schema as Schema;
  const next = (sub: unknown, property?: string) => exampleOf(sub, depth + 1, property ?? name);
  if (Array.isArray(s['examples']) && s['examples'].length > 0) return s['examples'][0];
  if ('const' in s) return s['const'];
  if ('default' in s) return s['default'];
  if (Array.isArray(s['enum']) && s['enum'].length > 0) return s['enum'][0];
  for (const key of ['anyOf', 'oneOf'] as const) {
    // The first branch that is not null: an example says more than `null`.
    const branches = s[key] as Schema[] | undefined;
    if (branches) return next(branches.find((b) => b['type'] !== 'null') ?? branches[0]);
  }
  if (Array.isArray(s['allOf'])) return Object.assign({}, ...(s['allOf'] as unknown[]).map((part) => next(part)));
  switch (Array.isArray(s['type']) ? s['type'][0] : s['type']) {
    case 'object':
      return objectExample(s, next);
    case 'array':
      return s['maxItems'] === 0 ? [] : [next(s['items'])];
    case 'string':
      return stringExample(s, byName(name, 'string'));
    case 'integer':
    case 'number':
      return numberExample(s, byName(name, s['type']));
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return 'value';
  }
}

function objectExample(s: Schema, next: (sub: unknown, property?: string) => unknown): Record<string, unknown> {
  const properties = (s['properties'] ?? {}) as Record<string, Schema>;
  const required = new Set((s['required'] as string[] | undefined) ?? []);
  const out: Record<string, unknown> = {};
  for (const [name, property] of Object.entries(properties)) {
    if (required.has(name) || Array.isArray(property['examples'])) out[name] = next(property, name);
  }
  return out;
}

/**
 * Candidates for a string with a `pattern`, tried in order: the shapes the Admin API's patterns
 * take (names, paths, methods, ids, hex, base64 keys, error codes). `main` comes first because it
 * also passes the invisible-character patterns (`[^\p{Cc}…]`) when a validator reads them without
 * the `u` flag (Spectral's does: its class then excludes the letters p, C, c, f, s, Z and l).
 */
const CANDIDATES = [
  'main',
  '/v1',
  'GET',
  FORMATS['uuid']!,
  'k7Qm2xPa',
  '0123456789abcdef',
  `${'A'.repeat(43)}=`,
  'PC_NOT_FOUND',
  'orders.example.net',
  '*.example.net',
  'key-1',
  'a',
  '1',
];

function stringExample(s: Schema, named: unknown): string {
  const format = typeof s['format'] === 'string' ? FORMATS[s['format']] : undefined;
  if (format) return format;
  const min = typeof s['minLength'] === 'number' ? s['minLength'] : 0;
  const max = typeof s['maxLength'] === 'number' ? s['maxLength'] : Infinity;
  const fits = (c: string) => c.length >= min && c.length <= max && matches(s['pattern'], c);
  if (typeof named === 'string' && fits(named)) return named;
  return CANDIDATES.find(fits) ?? 'x'.repeat(Math.max(min, 1));
}

/** Whether `value` matches `pattern` read with and without the `u` flag (validators differ). */
function matches(pattern: unknown, value: string): boolean {
  if (typeof pattern !== 'string') return true;
  return ['u', ''].every((flags) => {
    try {
      return new RegExp(pattern, flags).test(value);
    } catch {
      return true; // this reading of the pattern does not compile: that validator cannot apply it
    }
  });
}

function numberExample(s: Schema, named: unknown): number {
  const min = typeof s['minimum'] === 'number' ? s['minimum'] : -Infinity;
  const max = typeof s['maximum'] === 'number' ? s['maximum'] : Infinity;
  if (typeof named === 'number' && named >= min && named <= max) return named;
  if (typeof s['minimum'] === 'number') return s['minimum'];
  if (typeof s['exclusiveMinimum'] === 'number') return s['exclusiveMinimum'] + 1;
  if (typeof s['maximum'] === 'number' && s['maximum'] < 1) return s['maximum'];
  return 1;
}
