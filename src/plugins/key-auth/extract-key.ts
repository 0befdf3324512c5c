/**
 * Where key-auth reads a key: the configured header names (case-insensitive), query parameters
 * and (when the proxy has buffered it) form or JSON body fields, each only when its `key_in_*`
 * switch is on. Two different values are a conflict (refused), wherever they are — two headers,
 * a header and a body field, a form field or a JSON member given twice; the same value in several
 * places is one key. A JSON key member whose value is not a string (number, boolean, null, array,
 * object) is refused rather than converted. Removing the key (`hide_credentials`) is hide-key.ts.
 */
import type { RequestContext } from '../plugin.js';
import type { KeyAuthConfig } from './schema.js';

export type Extracted =
  | { readonly kind: 'none' }
  | { readonly kind: 'key'; readonly value: string }
  | { readonly kind: 'conflict' }
  | { readonly kind: 'bad_prefix' }
  | { readonly kind: 'not_a_string' };

interface Found {
  values: Set<string>;
  badPrefix: boolean;
  notString: boolean;
}

export function extractKey(ctx: RequestContext, config: KeyAuthConfig, headerNames: readonly string[]): Extracted {
  const found: Found = { values: new Set(), badPrefix: false, notString: false };
  if (config.key_in_header) {
    for (const name of headerNames) {
      const raw = ctx.upstreamHeaders[name];
      if (raw === undefined) continue;
      for (const value of Array.isArray(raw) ? raw : [raw]) addHeaderValue(found, value, config.value_prefix);
    }
  }
  if (config.key_in_query && ctx.query) {
    for (const part of ctx.query.split('&')) {
      const eq = part.indexOf('=');
      const name = safeDecode(eq < 0 ? part : part.slice(0, eq));
      if (name === null || !config.key_names.includes(name)) continue;
      const value = safeDecode(eq < 0 ? '' : part.slice(eq + 1));
      if (value) found.values.add(value);
    }
  }
  if (config.key_in_body && ctx.body) {
    for (const name of config.key_names) {
      for (const value of ctx.body.fields.get(name) ?? []) {
        if (value === null) found.notString = true;
        else if (value) found.values.add(value);
      }
    }
  }
  if (found.notString) return { kind: 'not_a_string' };
  if (found.values.size > 1) return { kind: 'conflict' };
  const [value] = found.values;
  if (value !== undefined) return { kind: 'key', value };
  return found.badPrefix ? { kind: 'bad_prefix' } : { kind: 'none' };
}

function addHeaderValue(found: Found, raw: string, prefix: string | null): void {
  let value = raw.trim();
  if (prefix) {
    if (value.length < prefix.length || value.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) {
      found.badPrefix = true;
      return;
    }
    value = value.slice(prefix.length).trim();
  }
  if (value) found.values.add(value);
}

function safeDecode(text: string): string | null {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}
