/**
 * The vault reference grammar of DESIGN §3.3:
 * `{vault://<vault prefix>/<resource>[/<json key>][?<option>=<value>&…][#<version>]}`.
 * A reference is a whole field value. Parsing is pure; resolving is the resolver's job.
 */

export interface VaultReference {
  readonly prefix: string;
  readonly resource: string;
  readonly key: string | null;
  readonly options: Readonly<Record<string, string>>;
  readonly version: string | null;
}

const REFERENCE = /^\{vault:\/\/([a-z0-9][a-z0-9_-]{0,63})\/([^?#}]+?)(?:\?([^#}]*))?(?:#([^}]+))?\}$/;

export function isVaultReference(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('{vault://') && value.endsWith('}');
}

/** Parses a reference; null when `value` is not a well-formed reference. */
export function parseVaultReference(value: string): VaultReference | null {
  if (value.length > 2048) return null;
  const m = REFERENCE.exec(value);
  if (!m) return null;
  const [, prefix = '', path = '', query, version] = m;
  const parts = path.split('/');
  if (parts.some((p) => p === '')) return null;
  // `env` resources are single names; other vaults take `<resource>/<json key>` with nested paths.
  const key = parts.length > 1 ? parts.pop()! : null;
  const options: Record<string, string> = {};
  for (const pair of (query ?? '').split('&').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return null;
    try {
      options[decodeURIComponent(pair.slice(0, eq))] = decodeURIComponent(pair.slice(eq + 1));
    } catch {
      return null;
    }
  }
  return { prefix, resource: parts.join('/'), key, options, version: version ?? null };
}
