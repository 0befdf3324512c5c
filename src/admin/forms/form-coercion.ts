/**
 * A form body holds only text. Before validation it is converted to the types the route's body
 * schema asks for (`"5"` → 5, `"true"` → true, a single value → a one-item list), the way query
 * strings already are; the result is then validated exactly like a JSON body. An empty field of a
 * field that is not text is `null` (Kong's way to clear a field: `--data service=`).
 * A plugin's `config` is converted by that plugin's own schema.
 */
import type { TSchema } from 'typebox';
import Value from 'typebox/value';

export type PluginSchemaLookup = (name: string) => TSchema | undefined;

/** Converts `body` (from a form) to `schema`'s types; values the schema does not describe stay text. */
export function coerceFormBody(schema: TSchema | undefined, body: Record<string, unknown>, pluginSchema?: PluginSchemaLookup): Record<string, unknown> {
  const emptied = emptyToNull(schema, body) as Record<string, unknown>;
  const converted = (schema ? Value.Convert(schema, emptied) : emptied) as Record<string, unknown>;
  const config = converted['config'];
  const name = converted['name'];
  if (pluginSchema && typeof name === 'string' && config !== null && typeof config === 'object' && !Array.isArray(config)) {
    const configSchema = pluginSchema(name);
    if (configSchema) return { ...converted, config: Value.Convert(configSchema, emptyToNull(configSchema, config)) };
  }
  return converted;
}

/** `""` → null where the schema's field is not plain text. */
function emptyToNull(schema: TSchema | undefined, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const properties = (schema as { properties?: Record<string, TSchema> } | undefined)?.properties;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const fieldSchema = properties?.[key];
    if (v === '' && fieldSchema !== undefined && !isText(fieldSchema)) out[key] = null;
    else out[key] = typeof v === 'object' ? emptyToNull(fieldSchema, v) : v;
  }
  return out;
}

function isText(schema: TSchema): boolean {
  const s = schema as { type?: unknown; anyOf?: TSchema[] };
  if (s.type === 'string') return true;
  return Array.isArray(s.anyOf) && s.anyOf.every((m) => (m as { type?: unknown }).type === 'string');
}
