/**
 * Text a person chose (usernames, custom ids, tags, display names): the characters it may not
 * contain, the schema that refuses them, and the Unicode normalisation (NFC) applied before such
 * text is compared or stored, so two names that look the same are the same name.
 *
 * Refused: Unicode general categories Cc (C0 and C1 controls, DEL), Cf (format characters: the
 * bidi controls U+061C, U+200E/F, U+202A–E, U+2066–9, the zero-width characters U+200B–D, U+2060,
 * U+FEFF, the soft hyphen, tag characters …), Cs (a lone surrogate, which no UTF-8 database
 * stores as sent) and Zl/Zp (line and paragraph separators). Such characters make a name render
 * differently from what it is (`admin‮nimda`), or invisibly unlike another one.
 *
 * A schema made by `SafeText` is recognised by its pattern (it ends with the forbidden class), so
 * `normalizeText` and the validator's messages need no other marker and the OpenAPI document
 * shows the rule as it is enforced.
 */
import Type, { type TString } from 'typebox';

/** The forbidden categories, as a regex character-class body (patterns are compiled with the `u` flag). */
export const FORBIDDEN_TEXT_CLASS = '\\p{Cc}\\p{Cf}\\p{Cs}\\p{Zl}\\p{Zp}';
const PATTERN_PREFIX = '^[^';
const PATTERN_SUFFIX = `${FORBIDDEN_TEXT_CLASS}]*$`;

export interface SafeTextOptions {
  readonly minLength?: number;
  readonly maxLength: number;
  /** More characters to refuse, as a regex class body of ASCII characters (`:` or `,\\s`). */
  readonly alsoRefuse?: string;
  readonly description?: string;
}

/** A string schema refusing the forbidden characters (and `alsoRefuse`); its values are normalised to NFC. */
export function SafeText(options: SafeTextOptions): TString {
  return Type.String({
    minLength: options.minLength ?? 1,
    maxLength: options.maxLength,
    pattern: `${PATTERN_PREFIX}${options.alsoRefuse ?? ''}${PATTERN_SUFFIX}`,
    ...(options.description ? { description: options.description } : {}),
  });
}

/** True when `schema` was made by `SafeText`. */
export function isSafeTextSchema(schema: unknown): boolean {
  const pattern = (schema as { pattern?: unknown } | null)?.pattern;
  return typeof pattern === 'string' && pattern.startsWith(PATTERN_PREFIX) && pattern.endsWith(PATTERN_SUFFIX);
}

/** The message for a value refused by a `SafeText` pattern; undefined for any other pattern. */
export function safeTextMessage(pattern: string): string | undefined {
  if (!isSafeTextSchema({ pattern })) return undefined;
  const extra = pattern.slice(PATTERN_PREFIX.length, pattern.length - PATTERN_SUFFIX.length);
  const named = (extra.match(/\\.|./g) ?? []).map((c) => (c === '\\s' ? 'whitespace' : JSON.stringify(c.replace(/^\\/, ''))));
  return `must not contain ${named.map((n) => `${n}, `).join('')}control, bidi or zero-width characters`;
}

/**
 * A copy of `value` whose strings at `SafeText` positions of `schema` are in NFC. It follows the
 * schema (object properties, array items, every branch of a union), never the value's own depth,
 * and leaves anything the schema does not describe as it is: validation judges that afterwards.
 */
export function normalizeText<T>(schema: unknown, value: T): T {
  if (typeof schema !== 'object' || schema === null) return value;
  const s = schema as { anyOf?: unknown[]; allOf?: unknown[]; items?: unknown; properties?: Record<string, unknown> };
  const branches = s.anyOf ?? s.allOf;
  if (Array.isArray(branches)) return branches.reduce<T>((v, branch) => normalizeText(branch, v), value);
  if (typeof value === 'string') return (isSafeTextSchema(s) ? value.normalize('NFC') : value) as T;
  if (Array.isArray(value)) return (s.items ? value.map((item: unknown) => normalizeText(s.items, item)) : value) as T;
  if (s.properties && typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const [key, propSchema] of Object.entries(s.properties)) {
      if (Object.hasOwn(out, key)) out[key] = normalizeText(propSchema, out[key]);
    }
    return out as T;
  }
  return value;
}
