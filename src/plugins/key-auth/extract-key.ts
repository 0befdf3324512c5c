/**
 * Where a key is in a request: the configured header names (case-insensitive), query parameters
 * and (when the proxy has buffered it) form or JSON body fields. Two different values are a
 * conflict (refused); the same value in several places is one key. With `hide_credentials` the
 * places a key was found are removed before the request goes upstream.
 */
import type { RequestContext } from '../plugin.js';
import type { KeyAuthConfig } from './schema.js';

export type Extracted =
  { readonly kind: 'none' } | { readonly kind: 'key'; readonly value: string } | { readonly kind: 'conflict' } | { readonly kind: 'bad_prefix' };

interface Found {
  values: Set<string>;
  badPrefix: boolean;
}

export function extractKey(ctx: RequestContext, config: KeyAuthConfig, headerNames: readonly string[]): Extracted {
  const found: Found = { values: new Set(), badPrefix: false };
  if (config.key_in_header) {
    for (const name of headerNames) {
      const raw = ctx.upstreamHeaders[name];
      if (raw === undefined) continue;
      for (const value of Array.isArray(raw) ? raw : [raw]) addHeaderValue(found, value, config.value_prefix);
      // Unset rather than deleted: undici skips undefined values, and the object keeps its fast shape.
      if (config.hide_credentials) ctx.upstreamHeaders[name] = undefined;
    }
  }
  if (config.key_in_query && ctx.query) {
    const kept: string[] = [];
    for (const part of ctx.query.split('&')) {
      const eq = part.indexOf('=');
      const name = safeDecode(eq < 0 ? part : part.slice(0, eq));
      if (name !== null && config.key_names.includes(name)) {
        const value = safeDecode(eq < 0 ? '' : part.slice(eq + 1));
        if (value) found.values.add(value);
        if (config.hide_credentials) continue;
      }
      kept.push(part);
    }
    if (config.hide_credentials) ctx.query = kept.join('&');
  }
  if (config.key_in_body && ctx.body) {
    const present = config.key_names.filter((name) => ctx.body!.fields.has(name));
    for (const name of present) {
      const value = ctx.body.fields.get(name);
      if (value) found.values.add(value);
    }
    if (config.hide_credentials && present.length > 0) ctx.body.remove(present);
  }
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
