/**
 * Every spelling under which an upstream could read one of key-auth's `key_names`, computed once
 * per configuration, for `hide_credentials`:
 *
 * - headers: the name in any mix of `-` and `_` at its separators, because CGI-style upstreams
 *   (PHP, WSGI) read `X_Api-Key` and `x-api_key` as the same `HTTP_X_API_KEY`;
 * - parameters (query, form body, multipart part, JSON member): the decoded name compared
 *   case-insensitively (ASP.NET and several JSON binders ignore case), after the rewrites PHP
 *   applies to incoming names: leading spaces dropped, `.` and space read as `_`, and anything
 *   from the first `[` on read as an array index (`apikey[]`, `apikey[0]` are `apikey`; Rails and
 *   `qs` read them so too).
 */

/** Above this many separators, the header spellings are found by looking at each header instead. */
const MAX_SEPARATORS = 4;

export interface KeyNames {
  /** Lower-case header names to clear (every `-`/`_` mix of each key name). */
  readonly headerSpellings: readonly string[];
  /** Key names with more than MAX_SEPARATORS separators, `_` as `-`: matched by scanning the headers. */
  readonly scannedHeaders: ReadonlySet<string> | null;
  /** True when a decoded parameter or member name is read upstream as a key name. */
  isKeyParam(name: string): boolean;
  /** False when `text` (a query string) surely holds no key parameter: the cheap test before parsing. */
  mayHoldKeyParam(text: string): boolean;
}

export function createKeyNames(keyNames: readonly string[]): KeyNames {
  const spellings = new Set<string>();
  const scanned = new Set<string>();
  for (const name of keyNames) {
    const lower = name.toLowerCase();
    if (separatorCount(lower) > MAX_SEPARATORS) scanned.add(lower.replace(/_/g, '-'));
    else for (const spelling of separatorMixes(lower)) spellings.add(spelling);
  }
  const params = new Set(keyNames.map((name) => canonicalParams(name)[0]!));
  // A key parameter spelled literally, or any name holding `%`, `+` or a space (decoded first).
  const alternatives = [...params].map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/_/g, '[._+[]'));
  const candidate = new RegExp(`(?:^|[&;])(?:[^=&;]*[%+ ]|(?:${alternatives.join('|')})(?:[=&;[]|$))`, 'i');
  return {
    headerSpellings: [...spellings],
    scannedHeaders: scanned.size > 0 ? scanned : null,
    isKeyParam: (name) => canonicalParams(name).some((form) => params.has(form)),
    mayHoldKeyParam: (text) => candidate.test(text),
  };
}

/**
 * A parameter name as upstreams register it, lower-cased: `" Api.Key[0]"` → `api_key` (PHP, Rails
 * and qs read `a[…]` as `a`). A `[` that no `]` follows is an array index for some parsers and a
 * `_` for PHP (`api[key` → `api_key`), so such a name has both forms.
 */
export function canonicalParams(name: string): string[] {
  const trimmed = name.trimStart();
  const bracket = trimmed.indexOf('[');
  if (bracket === -1) return [phpName(trimmed)];
  const base = phpName(trimmed.slice(0, bracket));
  return trimmed.indexOf(']', bracket) === -1 ? [base, `${base}_${trimmed.slice(bracket + 1).toLowerCase()}`] : [base];
}

/** PHP reads `.` and space in a name as `_`. */
function phpName(name: string): string {
  return name.replace(/[. ]/g, '_').toLowerCase();
}

function separatorCount(name: string): number {
  let count = 0;
  for (const c of name) if (c === '-' || c === '_') count++;
  return count;
}

/** `x-api-key` → x-api-key, x_api-key, x-api_key, x_api_key. */
function separatorMixes(name: string): string[] {
  let mixes = [''];
  for (const c of name) {
    if (c === '-' || c === '_') mixes = mixes.flatMap((m) => [`${m}-`, `${m}_`]);
    else mixes = mixes.map((m) => m + c);
  }
  return mixes;
}
