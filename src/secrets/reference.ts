/**
 * The vault reference grammar of DESIGN §3.3:
 * `{vault://<vault prefix>/<resource>[/<json key>][?<option>=<value>&…][#<version>]}`.
 *
 * - `prefix`: a vault's prefix (`env`, or a vault entity's / config file vault's prefix).
 * - `resource`: one or more `/`-separated segments; each is percent-decoded, so a resource that
 *   holds a `/` itself (a Conjur variable id) writes it `%2F`. With two or more segments the last is
 *   the JSON key (`{vault://hcv/db/creds/password}`: resource `db/creds`, key `password`).
 * - `options`: query options; each backend accepts its own list, the resolver the cache ones.
 * - `version`: after `#`, where the backend has versions.
 *
 * A field holds a reference as its whole value or embeds exactly one (`Bearer {vault://…}`): the
 * resolved value replaces it and is literal, never resolved again. Parsing is pure.
 */

export interface VaultReference {
  readonly prefix: string;
  /** The resource, percent-decoded per segment, segments joined with `/`. */
  readonly resource: string;
  readonly key: string | null;
  readonly options: Readonly<Record<string, string>>;
  readonly version: string | null;
}

/** Longest reference accepted (the whole `{vault://…}` text). */
export const MAX_REFERENCE_LENGTH = 2048;

const OPENING = '{vault://';
const REFERENCE = /^\{vault:\/\/([a-z0-9][a-z0-9_-]{0,63})\/([^?#{}\s]+)(?:\?([^#{}\s]*))?(?:#([A-Za-z0-9._:-]{1,128}))?\}$/;
const EMBEDDED = /\{vault:\/\/[^{}]*\}/;

/** Whether a value holds a reference (whole or embedded) at all; cheap, for walking configs. */
export function mentionsVaultReference(value: unknown): value is string {
  return typeof value === 'string' && value.includes(OPENING);
}

/** Whether `value` is, as a whole, something shaped like a reference (it may still be malformed). */
export function isVaultReference(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(OPENING) && value.endsWith('}');
}

/** Parses a whole reference; null when `value` is not a well-formed one. */
export function parseVaultReference(value: string): VaultReference | null {
  if (value.length > MAX_REFERENCE_LENGTH) return null;
  const m = REFERENCE.exec(value);
  if (!m) return null;
  const [, prefix = '', path = '', query, version] = m;
  const segments: string[] = [];
  for (const raw of path.split('/')) {
    const segment = decode(raw);
    // Empty, `.` and `..` segments would let a reference climb out of the path a vault is given.
    if (segment === null || segment === '' || segment === '.' || segment === '..' || /[\u0000-\u001f\u007f]/.test(segment)) return null;
    segments.push(segment);
  }
  const key = segments.length > 1 ? segments.pop()! : null;
  const options: Record<string, string> = {};
  for (const pair of (query ?? '').split('&').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return null;
    const name = decode(pair.slice(0, eq));
    const optionValue = decode(pair.slice(eq + 1));
    if (name === null || optionValue === null || !/^[a-z_]{1,64}$/.test(name) || Object.hasOwn(options, name)) return null;
    options[name] = optionValue;
  }
  return { prefix, resource: segments.join('/'), key, options, version: version ?? null };
}

/** Where a field value mentions a reference: the whole value, one embedded, or a malformed mention. */
export type FieldReference =
  | { readonly kind: 'none' }
  | { readonly kind: 'reference'; readonly reference: string; readonly parsed: VaultReference; readonly before: string; readonly after: string }
  | { readonly kind: 'malformed'; readonly problem: string };

/** Finds the reference a field value holds, whole or embedded once. */
export function findFieldReference(value: string): FieldReference {
  if (!value.includes(OPENING)) return { kind: 'none' };
  if (value.split(OPENING).length > 2) return { kind: 'malformed', problem: 'holds more than one vault reference (a field may hold one)' };
  const match = EMBEDDED.exec(value);
  if (!match) return { kind: 'malformed', problem: 'holds "{vault://" without a closing "}"' };
  const reference = match[0];
  const parsed = parseVaultReference(reference);
  if (!parsed)
    return {
      kind: 'malformed',
      problem: `${reference.slice(0, 200)} is not a valid vault reference ({vault://<prefix>/<resource>[/<key>][?<option>=<value>][#<version>]})`,
    };
  return { kind: 'reference', reference, parsed, before: value.slice(0, match.index), after: value.slice(match.index + reference.length) };
}

function decode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}
