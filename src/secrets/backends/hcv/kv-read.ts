/**
 * Reading one secret from a KV mount, as Vault's KV docs (api-docs/secret/kv/kv-v1, kv-v2) say:
 * v1 `GET /v1/<mount>/<path>` answers the map as `data`; v2 `GET /v1/<mount>/data/<path>
 * [?version=N]` answers it as `data.data`, the version as `data.metadata.version`. The secret's
 * value is the map's JSON text: the resolver picks `/<json key>` from it, as for every backend.
 *
 * Two 404s mean different things and both are `not_found`: `{"errors": []}` (no such secret or
 * version) and, on v2, the envelope with `data.data: null` (that version is deleted or
 * destroyed). A v1 read on a v2 mount gets Vault's "Invalid path for a versioned K/V secrets
 * engine" warning, which the message turns into the setting to change.
 */
import { VaultBackendError, type SecretRead } from '../../vault-backend.js';
import type { VaultAnswer } from './vault-http.js';

export interface KvTarget {
  /** After `/v1/`, percent-encoded segment by segment, with `?version=N` on v2. */
  readonly path: string;
  /** `secret/app/db#3`, as the operator names it, for messages. */
  readonly shown: string;
}

const VERSION = /^[1-9][0-9]{0,9}$/;

/** Percent-encodes each `/`-separated segment; null for an empty, `.` or `..` segment (URL normalisation would move them). */
export function encodeSegments(value: string): string | null {
  const segments = value.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return null;
  return segments.map(encodeURIComponent).join('/');
}

/** Where a read goes; throws `not_found` for a resource or version this mount cannot hold. */
export function kvTarget(mount: string, kv: 'v1' | 'v2', resource: string, version: string | null): KvTarget {
  const shown = `${mount}/${resource}${version === null ? '' : `#${version}`}`;
  const path = encodeSegments(resource);
  if (path === null) throw new VaultBackendError('not_found', `hcv: "${shown}" is not a Vault secret path (empty, "." or ".." segment)`);
  if (version !== null && kv === 'v1') {
    throw new VaultBackendError(
      'not_found',
      `hcv: "${shown}" names a version, but the mount "${mount}" is KV v1, which keeps none (set kv: v2 if it is a v2 mount)`,
    );
  }
  if (version !== null && !VERSION.test(version)) {
    throw new VaultBackendError('not_found', `hcv: "${shown}": a KV v2 version is a whole number from 1`);
  }
  const mountPath = mount.split('/').map(encodeURIComponent).join('/');
  return kv === 'v1' ? { path: `${mountPath}/${path}`, shown } : { path: `${mountPath}/data/${path}${version === null ? '' : `?version=${version}`}`, shown };
}

/** The secret in a 200 answer; throws `unavailable` when the answer is not KV's shape. */
export function kvSecret(kv: 'v1' | 'v2', answer: VaultAnswer, shown: string): SecretRead {
  const data = (answer.body as { data?: unknown } | null)?.data;
  const map = kv === 'v1' ? data : (data as { data?: unknown } | null | undefined)?.data;
  if (typeof map !== 'object' || map === null || Array.isArray(map)) {
    throw new VaultBackendError('unavailable', `hcv: the answer for "${shown}" is not a KV ${kv} secret (no data map): check kv and mount`);
  }
  const value = JSON.stringify(map);
  if (kv === 'v1') return { value };
  const version = (data as { metadata?: { version?: unknown } }).metadata?.version;
  return typeof version === 'number' && Number.isSafeInteger(version) ? { value, version: String(version) } : { value };
}

/** The `not_found` for a 404 answer, saying which of Vault's 404s it was. */
export function kvNotFound(kv: 'v1' | 'v2', answer: VaultAnswer, shown: string): VaultBackendError {
  const body = answer.body as { data?: { data?: unknown; metadata?: { destroyed?: unknown; deletion_time?: unknown } }; warnings?: unknown } | null;
  const metadata = body?.data?.metadata;
  if (kv === 'v2' && body?.data?.data === null && metadata) {
    const state = metadata.destroyed === true ? 'destroyed' : 'deleted';
    return new VaultBackendError('not_found', `hcv: the version of "${shown}" is ${state} (404)`);
  }
  const warnings = Array.isArray(body?.warnings) ? body.warnings : [];
  if (kv === 'v1' && warnings.some((w) => typeof w === 'string' && w.includes('versioned K/V'))) {
    return new VaultBackendError('not_found', `hcv: "${shown}" was read as KV v1, but the mount is KV v2: set kv: v2 (404)`);
  }
  return new VaultBackendError('not_found', `hcv: no secret at "${shown}" (404)`);
}
