/**
 * A stand-in for HashiCorp Vault's KV v2 secrets engine, served over real HTTP(S) on 127.0.0.1 so
 * the gateway's own Vault client is what talks to it. Written from Vault's HTTP API documentation
 * (api-docs/secret/kv/kv-v2, api-docs/system/health) and the KV plugin's handlers
 * (vault-plugin-secrets-kv path_data.go, path_delete.go, path_destroy.go, path_metadata.go):
 *
 * - `GET /v1/<mount>/data/<path>[?version=N]`, `POST|PUT` the same path (`{"data": {…}, "options":
 *   {"cas": n}}`), `DELETE` it (soft-deletes the newest version); `GET /v1/<mount>/metadata/<path>`;
 *   `POST /v1/<mount>/{delete,undelete,destroy}/<path>` with `{"versions": [n, …]}`; `GET /v1/sys/health`.
 * - Success bodies are Vault's envelope `{request_id, lease_id, renewable, lease_duration, data,
 *   wrap_info, warnings, auth}`; errors are `{"errors": [...]}`: 403 `permission denied` for a missing
 *   or wrong token (Vault has no 401), 404 `{"errors": []}` for a missing secret or version, 400 for
 *   a bad write. A deleted or destroyed version answers 404 with the envelope, `data.data: null` and
 *   its metadata (deletion_time, destroyed) — no `errors` key — as Vault does.
 * - A v1-style read (no `data/`) answers 404 with Vault's "Invalid path for a versioned K/V secrets
 *   engine" warning, so a client that forgets `data/` fails loudly.
 * - With `namespace` set, every request but sys/health must name it, by `X-Vault-Namespace` or as a
 *   path prefix (`/v1/<namespace>/<mount>/…`); otherwise 403. Without it the header is ignored (OSS).
 * - Like Vault with `max_versions` unset, a secret keeps its newest 10 versions.
 *
 * Tests drive scenarios with `writeSecret` / `deleteVersions` / `destroyVersions` / `setLatency` and
 * assert on the wire through `requests`.
 */
import { createServer as createHttpServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { constantTimeEqual } from '../../src/apikeys/hashing/constant-time-equal.js';

export interface VaultFakeOptions {
  /** The token the fake accepts, in `X-Vault-Token` or `Authorization: Bearer`. Default `root`. */
  readonly token?: string;
  /** Vault Enterprise namespace every request must name (e.g. `team/prod`). */
  readonly namespace?: string;
  /** KV v2 mounts. Default `["secret"]`, as `vault server -dev` mounts. */
  readonly mounts?: readonly string[];
  /** Serve HTTPS with this key and certificate (PEM). */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
}

export interface VaultFakeRequest {
  readonly method: string;
  /** Raw path and query, as sent. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface VaultFake {
  readonly url: string;
  /** Writes a new version (as a write without `cas`) and returns its number. */
  writeSecret(mount: string, path: string, data: Record<string, unknown>): number;
  /** Soft-deletes versions (their deletion_time becomes now). */
  deleteVersions(mount: string, path: string, versions: readonly number[]): void;
  /** Destroys versions: their data is gone for good. */
  destroyVersions(mount: string, path: string, versions: readonly number[]): void;
  /** Delays every answer (but sys/health) by `ms`, to exercise client timeouts. */
  setLatency(ms: number): void;
  readonly requests: readonly VaultFakeRequest[];
  close(): Promise<void>;
}

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

/** Vault keeps this many versions when `max_versions` is 0 or unset. */
const DEFAULT_MAX_VERSIONS = 10;
const V1_PATH_WARNING =
  "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the Vault CLI, use 'vault kv get' for this operation.";

type Answer = { readonly status: number; readonly body?: unknown };
const envelope = (status: number, data: unknown, warnings: readonly string[] | null = null): Answer => ({
  status,
  body: { request_id: randomUUID(), lease_id: '', renewable: false, lease_duration: 0, data, wrap_info: null, warnings, auth: null, mount_type: 'kv' },
});
const errors = (status: number, ...messages: string[]): Answer => ({ status, body: { errors: messages } });
const noContent: Answer = { status: 204 };
const trimSlashes = (s: string) => s.replace(/^\/+|\/+$/g, '');
/** Vault routes on the decoded path: decode once, never twice. */
const decodeOnce = (s: string): string | null => {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
};

export async function startVaultFake(options: VaultFakeOptions = {}): Promise<VaultFake> {
  const token = Buffer.from(options.token ?? 'root');
  const namespace = options.namespace === undefined ? null : trimSlashes(options.namespace);
  const mounts = new Map<string, Map<string, Secret>>((options.mounts ?? ['secret']).map((m) => [trimSlashes(m), new Map()]));
  // Longest first, so `kv/team` wins over `kv` for `kv/team/data/x`.
  const mountOrder = [...mounts.keys()].sort((a, b) => b.length - a.length);
  const requests: VaultFakeRequest[] = [];
  let latencyMs = 0;
  /** Ends pending latency waits at close, so a slow answer does not keep the process alive. */
  const closing = new AbortController();
  const now = () => new Date().toISOString();
  const isDeleted = (v: Version) => v.deletion_time !== '' && Date.parse(v.deletion_time) <= Date.now();

  const secretsOf = (mount: string) => {
    const secrets = mounts.get(trimSlashes(mount));
    if (!secrets) throw new Error(`the Vault fake has no mount ${mount}`);
    return secrets;
  };

  function write(secrets: Map<string, Secret>, path: string, data: Record<string, unknown>): Version & { version: number } {
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

  function mark(secrets: Map<string, Secret>, path: string, versions: readonly number[], change: (v: Version) => void): void {
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

  function readData(secrets: Map<string, Secret>, path: string, query: URLSearchParams): Answer {
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

  function writeData(secrets: Map<string, Secret>, path: string, body: unknown): Answer {
    const input = body as { data?: unknown; options?: { cas?: unknown } } | null;
    if (typeof input?.data !== 'object' || input.data === null || Array.isArray(input.data)) return errors(400, 'no data provided');
    const cas = input.options?.cas;
    if (cas !== undefined) {
      const casNumber = typeof cas === 'string' && /^\d+$/.test(cas) ? Number(cas) : cas;
      if (typeof casNumber !== 'number' || !Number.isInteger(casNumber)) return errors(400, 'error parsing check-and-set parameter');
      if (casNumber !== (secrets.get(path)?.current ?? 0)) return errors(400, 'check-and-set parameter did not match the current version');
    }
    const { version, ...v } = write(secrets, path, input.data as Record<string, unknown>);
    return envelope(200, versionMetadata(version, v));
  }

  function readMetadata(secrets: Map<string, Secret>, path: string): Answer {
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

  /** Vault's routing for one request: health, then the token, the namespace, the mount and the KV operation. */
  function route(method: string, rawPath: string, query: URLSearchParams, headers: IncomingHttpHeaders, body: unknown): Answer {
    if (!rawPath.startsWith('/v1/')) return errors(404);
    let rest = rawPath.slice('/v1/'.length);
    if (rest === 'sys/health' && (method === 'GET' || method === 'HEAD')) {
      return { status: 200, body: health() };
    }
    const bearer = /^Bearer (.+)$/i.exec(headers.authorization ?? '')?.[1];
    const presented = (headers['x-vault-token'] as string | undefined) ?? bearer;
    if (presented === undefined || !constantTimeEqual(Buffer.from(presented), token)) return errors(403, 'permission denied');
    if (namespace !== null) {
      const named = trimSlashes((headers['x-vault-namespace'] as string | undefined) ?? '');
      if (named === '' && rest.startsWith(`${namespace}/`)) rest = rest.slice(namespace.length + 1);
      else if (named !== namespace) return errors(403, 'permission denied');
    }
    const mount = mountOrder.find((m) => rest.startsWith(`${m}/`));
    if (mount === undefined) return errors(404, `no handler for route "${rest}". route entry not found.`);
    const secrets = mounts.get(mount)!;
    const [operation = '', ...segments] = rest.slice(mount.length + 1).split('/');
    const path = decodeOnce(segments.join('/'));
    if (path === null) return errors(400, 'invalid URL escape in the path');
    const known = ['data', 'metadata', 'delete', 'undelete', 'destroy'].includes(operation);
    if (!known || path === '' || path.endsWith('/')) return envelope(404, null, [V1_PATH_WARNING]);
    const unsupported = errors(405, '1 error occurred:\n\t* unsupported operation\n\n');
    switch (operation) {
      case 'data':
        if (method === 'GET') return readData(secrets, path, query);
        if (method === 'POST' || method === 'PUT') return writeData(secrets, path, body);
        if (method === 'DELETE') {
          const current = secrets.get(path)?.current;
          if (current) mark(secrets, path, [current], softDelete);
          return noContent;
        }
        return unsupported;
      case 'metadata':
        return method === 'GET' ? readMetadata(secrets, path) : unsupported;
      default: {
        if (method !== 'POST' && method !== 'PUT') return unsupported;
        const versions = versionsOf(body);
        if (versions === null) return errors(400, 'no version number provided');
        mark(secrets, path, versions, operation === 'delete' ? softDelete : operation === 'destroy' ? destroy : undelete);
        return noContent;
      }
    }
  }

  const clusterId = randomUUID();
  const health = () => ({
    initialized: true,
    sealed: false,
    standby: false,
    performance_standby: false,
    replication_performance_mode: 'disabled',
    replication_dr_mode: 'disabled',
    server_time_utc: Math.floor(Date.now() / 1000),
    version: '1.17.0',
    cluster_name: 'vault-cluster-fake',
    cluster_id: clusterId,
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const rawUrl = req.url ?? '/';
    const method = req.method ?? 'GET';
    requests.push({ method, path: rawUrl, headers: req.headers, body: text });
    const queryAt = rawUrl.indexOf('?');
    const rawPath = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    if (latencyMs > 0 && !rawPath.endsWith('/sys/health')) await sleep(latencyMs, undefined, { signal: closing.signal }).catch(() => undefined);
    let body: unknown = null;
    let answer: Answer;
    try {
      body = text === '' ? null : JSON.parse(text);
      answer = route(method, rawPath, new URLSearchParams(queryAt === -1 ? '' : rawUrl.slice(queryAt + 1)), req.headers, body);
    } catch (err) {
      answer = errors(400, `failed to parse JSON input: ${(err as Error).message}`);
    }
    if (res.destroyed) return;
    if (answer.body === undefined || method === 'HEAD') res.writeHead(answer.status, { 'cache-control': 'no-store' }).end();
    else res.writeHead(answer.status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(answer.body));
  }

  const listener = (req: IncomingMessage, res: ServerResponse) => void handle(req, res);
  const server = options.tls ? createHttpsServer({ key: options.tls.key, cert: options.tls.cert }, listener) : createHttpServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    writeSecret: (mount, path, data) => write(secretsOf(mount), trimSlashes(path), data).version,
    deleteVersions: (mount, path, versions) => mark(secretsOf(mount), trimSlashes(path), versions, softDelete),
    destroyVersions: (mount, path, versions) => mark(secretsOf(mount), trimSlashes(path), versions, destroy),
    setLatency: (ms) => void (latencyMs = ms),
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        closing.abort();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
