/**
 * One KV v2 mount of the Vault fake (`vault-kv2.ts` routes to it), written from Vault's API docs
 * (api-docs/secret/kv/kv-v2) and the KV plugin's handlers (vault-plugin-secrets-kv path_data.go,
 * path_delete.go, path_destroy.go, path_metadata.go):
 *
 * - `GET data/<path>[?version=N]` (absent or 0: the newest), `POST|PUT data/<path>` with `{"data":
 *   {…}, "options": {"cas": n}}`, `DELETE data/<path>` (soft-deletes the newest version),
 *   `GET metadata/<path>`, `POST|PUT {delete,undelete,destroy}/<path>` with `{"versions": [n, …]}`.
 * - 404 `{"errors": []}` for a missing secret or version; a deleted or destroyed version answers 404
 *   with the envelope, `data.data: null` and its metadata (no `errors` key), as Vault does.
 * - A v1-style path (no `data/`) answers 404 with Vault's "Invalid path for a versioned K/V secrets
 *   engine" warning, so a client configured for KV v1 fails loudly here.
 * - Like Vault with `max_versions` unset, a secret keeps its newest 10 versions.
 */
import { decodeOnce, envelope, errors, noContent, type Answer } from './vault-wire.js';

interface Version {
  data: Record<string, unknown> | null;
  readonly created_time: string;
  deletion_time: string;
  destroyed: boolean;
}

interface Secret {
  readonly versions: Map<number, Version>;
  current: number;
  oldest: number;
  readonly created_time: string;
  updated_time: string;
}

export interface Kv2Engine {
  /** Writes a new version (as a write without `cas`) and returns its number. */
  write(path: string, data: Record<string, unknown>): number;
  deleteVersions(path: string, versions: readonly number[]): void;
  destroyVersions(path: string, versions: readonly number[]): void;
  /** Answers one request; `rest` is what follows the mount (`data/app/db`), raw. */
  route(method: string, rest: string, query: URLSearchParams, body: unknown): Answer;
}

/** Vault keeps this many versions when `max_versions` is 0 or unset. */
const DEFAULT_MAX_VERSIONS = 10;
export const V1_PATH_WARNING =
  "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation.";

export function createKv2Engine(): Kv2Engine {
  const secrets = new Map<string, Secret>();
  const now = () => new Date().toISOString();
  const isDeleted = (v: Version) => v.deletion_time !== '' && Date.parse(v.deletion_time) <= Date.now();

  function write(path: string, data: Record<string, unknown>): Version & { version: number } {
    const at = now();
    let secret = secrets.get(path);
    if (!secret) secrets.set(path, (secret = { versions: new Map(), current: 0, oldest: 0, created_time: at, updated_time: at }));
    const version: Version = { data: structuredClone(data), created_time: at, deletion_time: '', destroyed: false };
    secret.current += 1;
    secret.updated_time = at;
    secret.versions.set(secret.current, version);
    if (secret.versions.size > DEFAULT_MAX_VERSIONS) {
      const purgeUpTo = secret.current - DEFAULT_MAX_VERSIONS;
      for (const n of secret.versions.keys()) if (n <= purgeUpTo) secret.versions.delete(n);
      secret.oldest = purgeUpTo + 1;
    }
    return { ...version, version: secret.current };
  }

  function mark(path: string, versions: readonly number[], change: (v: Version) => void): void {
    const secret = secrets.get(path);
    for (const n of versions) {
      const v = secret?.versions.get(n);
      if (v) change(v);
    }
  }
  const softDelete = (v: Version) => {
    if (v.deletion_time === '' || !isDeleted(v)) v.deletion_time = now();
  };
  const destroy = (v: Version) => {
    v.destroyed = true;
    v.data = null;
  };
  const undelete = (v: Version) => {
    if (!v.destroyed) v.deletion_time = '';
  };

  function versionMetadata(n: number, v: Version) {
    return { created_time: v.created_time, custom_metadata: null, deletion_time: v.deletion_time, destroyed: v.destroyed, version: n };
  }

  function readData(path: string, query: URLSearchParams): Answer {
    const secret = secrets.get(path);
    if (!secret) return errors(404);
    const raw = query.get('version');
    if (raw !== null && !/^\d+$/.test(raw)) return errors(400, `1 error occurred:\n\t* error converting input ${raw} for field "version"\n\n`);
    const n = raw === null || Number(raw) === 0 ? secret.current : Number(raw);
    const v = secret.versions.get(n);
    if (!v) return errors(404);
    if (isDeleted(v) || v.destroyed) return envelope(404, { data: null, metadata: versionMetadata(n, v) });
    return envelope(200, { data: v.data, metadata: versionMetadata(n, v) });
  }

  function writeData(path: string, body: unknown): Answer {
    const input = body as { data?: unknown; options?: { cas?: unknown } } | null;
    if (typeof input?.data !== 'object' || input.data === null || Array.isArray(input.data)) return errors(400, 'no data provided');
    const cas = input.options?.cas;
    if (cas !== undefined) {
      const casNumber = typeof cas === 'string' && /^\d+$/.test(cas) ? Number(cas) : cas;
      if (typeof casNumber !== 'number' || !Number.isInteger(casNumber)) return errors(400, 'error parsing check-and-set parameter');
      if (casNumber !== (secrets.get(path)?.current ?? 0)) return errors(400, 'check-and-set parameter did not match the current version');
    }
    const { version, ...v } = write(path, input.data as Record<string, unknown>);
    return envelope(200, versionMetadata(version, v));
  }

  function readMetadata(path: string): Answer {
    const secret = secrets.get(path);
    if (!secret) return errors(404);
    const versions = Object.fromEntries(
      [...secret.versions].map(([n, v]) => [String(n), { created_time: v.created_time, deletion_time: v.deletion_time, destroyed: v.destroyed }]),
    );
    return envelope(200, {
      cas_required: false,
      created_time: secret.created_time,
      current_version: secret.current,
      custom_metadata: null,
      delete_version_after: '0s',
      max_versions: 0,
      oldest_version: secret.oldest,
      updated_time: secret.updated_time,
      versions,
    });
  }

  function versionsOf(body: unknown): number[] | null {
    const list = (body as { versions?: unknown } | null)?.versions;
    if (!Array.isArray(list) || list.length === 0) return null;
    const numbers = list.map((n) => (typeof n === 'string' && /^\d+$/.test(n) ? Number(n) : n));
    return numbers.every((n) => typeof n === 'number' && Number.isInteger(n)) ? (numbers as number[]) : null;
  }

  function route(method: string, rest: string, query: URLSearchParams, body: unknown): Answer {
    const [operation = '', ...segments] = rest.split('/');
    const path = decodeOnce(segments.join('/'));
    if (path === null) return errors(400, 'invalid URL escape in the path');
    const known = ['data', 'metadata', 'delete', 'undelete', 'destroy'].includes(operation);
    if (!known || path === '' || path.endsWith('/')) return envelope(404, null, { warnings: [V1_PATH_WARNING] });
    const unsupported = errors(405, '1 error occurred:\n\t* unsupported operation\n\n');
    switch (operation) {
      case 'data':
        if (method === 'GET') return readData(path, query);
        if (method === 'POST' || method === 'PUT') return writeData(path, body);
        if (method === 'DELETE') {
          const current = secrets.get(path)?.current;
          if (current) mark(path, [current], softDelete);
          return noContent;
        }
        return unsupported;
      case 'metadata':
        return method === 'GET' ? readMetadata(path) : unsupported;
      default: {
        if (method !== 'POST' && method !== 'PUT') return unsupported;
        const versions = versionsOf(body);
        if (versions === null) return errors(400, 'no version number provided');
        mark(path, versions, operation === 'delete' ? softDelete : operation === 'destroy' ? destroy : undelete);
        return noContent;
      }
    }
  }

  return {
    write: (path, data) => write(path, data).version,
    deleteVersions: (path, versions) => mark(path, versions, softDelete),
    destroyVersions: (path, versions) => mark(path, versions, destroy),
    route,
  };
}
