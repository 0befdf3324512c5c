/**
 * One KV v1 mount of the Vault fake (`vault-kv2.ts` routes to it), written from Vault's API docs
 * (api-docs/secret/kv/kv-v1.mdx):
 *
 * - `GET <mount>/<path>` answers 200 with the stored map as the envelope's `data` (no versions, no
 *   metadata); `lease_duration` is advisory: the map's `ttl` (seconds or `30s`/`15m`/`2h`) or the
 *   mount default, 2764800 s (768 h).
 * - `POST|PUT <mount>/<path>` stores the JSON body itself as the map (204); `DELETE` removes it (204).
 * - 404 `{"errors": []}` for a missing secret, so a client that sends KV v2's `data/<path>` here
 *   reads a secret named `data/<path>` that does not exist, as against a real v1 mount.
 */
import { decodeOnce, envelope, errors, noContent, type Answer } from './vault-wire.js';

/** The mount default of `vault secrets enable -version=1 kv` (system max lease TTL, 768 h). */
const DEFAULT_LEASE_SECONDS = 2_764_800;

export interface Kv1Engine {
  write(path: string, data: Record<string, unknown>): void;
  /** Answers one request; `rest` is what follows the mount (`app/db`), raw. */
  route(method: string, rest: string, body: unknown): Answer;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** The advisory lease: the map's own `ttl` when it parses, else the mount default. */
function leaseOf(data: Record<string, unknown>): number {
  const ttl = data['ttl'];
  if (typeof ttl === 'number' && Number.isInteger(ttl) && ttl > 0) return ttl;
  const m = typeof ttl === 'string' ? /^(\d+)([smh]?)$/.exec(ttl) : null;
  return m ? Number(m[1]) * (UNIT_SECONDS[m[2] || 's'] ?? 1) : DEFAULT_LEASE_SECONDS;
}

export function createKv1Engine(): Kv1Engine {
  const secrets = new Map<string, Record<string, unknown>>();
  return {
    write: (path, data) => void secrets.set(path, structuredClone(data)),
    route(method, rest, body) {
      const path = decodeOnce(rest);
      if (path === null) return errors(400, 'invalid URL escape in the path');
      if (path === '' || path.endsWith('/')) return errors(404);
      switch (method) {
        case 'GET': {
          const data = secrets.get(path);
          return data ? envelope(200, data, { lease_duration: leaseOf(data) }) : errors(404);
        }
        case 'POST':
        case 'PUT':
          if (typeof body !== 'object' || body === null || Array.isArray(body)) return errors(400, 'no data provided');
          secrets.set(path, body as Record<string, unknown>);
          return noContent;
        case 'DELETE':
          secrets.delete(path);
          return noContent;
        default:
          return errors(405, '1 error occurred:\n\t* unsupported operation\n\n');
      }
    },
  };
}
