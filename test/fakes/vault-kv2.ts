/**
 * A stand-in for HashiCorp Vault, served over real HTTP(S) on 127.0.0.1 so the gateway's own Vault
 * clients (the keyring's vault strategy, the `hcv` secrets backend) are what talk to it. Written
 * from Vault's HTTP API documentation (api-docs/index.mdx, secret/kv/kv-v1, secret/kv/kv-v2,
 * auth/token, auth/approle, auth/kubernetes, system/health) and shared/research/secret-backends-wire.md §2.
 * This file is the server and its router; the parts it routes to live beside it:
 *
 * - KV v2 mounts (`vault-kv2-engine.ts`) next to KV v1 mounts (`vault-kv1.ts`): a v1-style read on
 *   a v2 mount fails loudly, a v2-style read on a v1 mount reads a secret that does not exist.
 * - Tokens (`vault-tokens.ts`): the root token (`token`), and the tokens AppRole and Kubernetes
 *   logins issue (`vault-logins.ts`) with a TTL, renewal (renew-self), lookup-self and expiry.
 *   Every path but sys/health and the logins needs a valid token, in `X-Vault-Token` or
 *   `Authorization: Bearer`; otherwise 403 `permission denied` (Vault has no 401).
 * - With `namespace` set, every request but sys/health (logins too) must name it, by
 *   `X-Vault-Namespace` or as a path prefix (`/v1/<namespace>/<mount>/…`); otherwise 403. Without
 *   it the header is ignored (OSS).
 * - Success bodies are Vault's envelope; errors `{"errors": [...]}` (`vault-wire.ts`).
 *
 * Scenario switches: `setLatency`, `hang`, `setOverride` (any status and body, e.g. 503 sealed, 429,
 * a redirect, garbage, a huge body), `revokeToken`, `expireTokens`; tests assert on the wire
 * through `requests` and on issued tokens through `issuedTokens`.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { readBody, startFakeServer } from './fake-server.js';
import { errors, permissionDenied, trimSlashes, type Answer } from './vault-wire.js';
import { createKv2Engine, type Kv2Engine } from './vault-kv2-engine.js';
import { createKv1Engine, type Kv1Engine } from './vault-kv1.js';
import { createTokenStore } from './vault-tokens.js';
import { createLogins, type AppRoleFixture, type KubernetesFixture } from './vault-logins.js';

export type { AppRoleFixture, KubernetesFixture } from './vault-logins.js';

export interface VaultFakeOptions {
  /** The root token, accepted in `X-Vault-Token` or `Authorization: Bearer`; never expires. Default `root`. */
  readonly token?: string;
  /** Vault Enterprise namespace every request must name (e.g. `team/prod`). */
  readonly namespace?: string;
  /** KV v2 mounts. Default `["secret"]`, as `vault server -dev` mounts. */
  readonly mounts?: readonly string[];
  /** KV v1 mounts (`vault secrets enable -version=1 -path=<m> kv`). Default none. */
  readonly v1Mounts?: readonly string[];
  /** Enables AppRole logins with this role_id/secret_id pair. */
  readonly approle?: AppRoleFixture;
  /** Enables Kubernetes logins for this role and service-account JWT. */
  readonly kubernetes?: KubernetesFixture;
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

/** An answer the fake gives instead of routing: a string body is sent as is, anything else as JSON. */
export interface VaultFakeOverride {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Only requests whose raw path matches; default every request but sys/health. */
  readonly paths?: RegExp;
}

export interface VaultFake {
  readonly url: string;
  /** Writes a new version to a KV v2 mount (as a write without `cas`) and returns its number. */
  writeSecret(mount: string, path: string, data: Record<string, unknown>): number;
  /** Writes (replaces) a secret on a KV v1 mount. */
  writeV1Secret(mount: string, path: string, data: Record<string, unknown>): void;
  /** Soft-deletes versions (their deletion_time becomes now). */
  deleteVersions(mount: string, path: string, versions: readonly number[]): void;
  /** Destroys versions: their data is gone for good. */
  destroyVersions(mount: string, path: string, versions: readonly number[]): void;
  /** Delays every answer (but sys/health) by `ms`, to exercise client timeouts. */
  setLatency(ms: number): void;
  /** While on, requests (but sys/health) get no answer at all; off answers them. */
  hang(on: boolean): void;
  /** Answers matching requests with this instead of routing them; null ends it. */
  setOverride(override: VaultFakeOverride | null): void;
  /** Revokes an issued token: requests with it are 403 from now on. */
  revokeToken(token: string): void;
  /** Every issued token expires now. */
  expireTokens(): void;
  /** Tokens issued by logins so far, oldest first. */
  readonly issuedTokens: readonly string[];
  readonly requests: readonly VaultFakeRequest[];
  close(): Promise<void>;
}

type Mount = { readonly kind: 'v2'; readonly engine: Kv2Engine } | { readonly kind: 'v1'; readonly engine: Kv1Engine };

export async function startVaultFake(options: VaultFakeOptions = {}): Promise<VaultFake> {
  const namespace = options.namespace === undefined ? null : trimSlashes(options.namespace);
  const mounts = new Map<string, Mount>([
    ...(options.mounts ?? ['secret']).map((m): [string, Mount] => [trimSlashes(m), { kind: 'v2', engine: createKv2Engine() }]),
    ...(options.v1Mounts ?? []).map((m): [string, Mount] => [trimSlashes(m), { kind: 'v1', engine: createKv1Engine() }]),
  ]);
  // Longest first, so `kv/team` wins over `kv` for `kv/team/data/x`.
  const mountOrder = [...mounts.keys()].sort((a, b) => b.length - a.length);
  const tokens = createTokenStore(options.token ?? 'root');
  const login = createLogins({ approle: options.approle, kubernetes: options.kubernetes }, tokens);
  const requests: VaultFakeRequest[] = [];
  let latencyMs = 0;
  let override: VaultFakeOverride | null = null;
  let hanging: { readonly gate: Promise<void>; readonly release: () => void } | null = null;
  /** Ends pending latency waits at close, so a slow answer does not keep the process alive. */
  const closing = new AbortController();

  const kv2 = (mount: string): Kv2Engine => {
    const found = mounts.get(trimSlashes(mount));
    if (found?.kind !== 'v2') throw new Error(`the Vault fake has no KV v2 mount ${mount}`);
    return found.engine;
  };
  const kv1 = (mount: string): Kv1Engine => {
    const found = mounts.get(trimSlashes(mount));
    if (found?.kind !== 'v1') throw new Error(`the Vault fake has no KV v1 mount ${mount}`);
    return found.engine;
  };

  /** Vault's routing for one request: health, the namespace, logins, the token, then the mount. */
  function route(method: string, rawPath: string, query: URLSearchParams, headers: IncomingHttpHeaders, body: unknown): Answer {
    if (!rawPath.startsWith('/v1/')) return errors(404);
    let rest = rawPath.slice('/v1/'.length);
    if (rest === 'sys/health' && (method === 'GET' || method === 'HEAD')) return { status: 200, body: health() };
    if (namespace !== null) {
      const named = trimSlashes((headers['x-vault-namespace'] as string | undefined) ?? '');
      if (named === '' && rest.startsWith(`${namespace}/`)) rest = rest.slice(namespace.length + 1);
      else if (named !== namespace) return permissionDenied();
    }
    const loggedIn = login(method, rest, body);
    if (loggedIn) return loggedIn;
    const bearer = /^Bearer (.+)$/i.exec(headers.authorization ?? '')?.[1];
    const presented = (headers['x-vault-token'] as string | undefined) ?? bearer;
    if (!tokens.valid(presented)) return permissionDenied();
    const tokenAnswer = tokens.route(method, rest, presented!);
    if (tokenAnswer) return tokenAnswer;
    const name = mountOrder.find((m) => rest.startsWith(`${m}/`));
    if (name === undefined) return errors(404, `no handler for route "${rest}". route entry not found.`);
    const mount = mounts.get(name)!;
    const inside = rest.slice(name.length + 1);
    return mount.kind === 'v2' ? mount.engine.route(method, inside, query, body) : mount.engine.route(method, inside, body);
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
    const text = (await readBody(req)).toString('utf8');
    const rawUrl = req.url ?? '/';
    const method = req.method ?? 'GET';
    requests.push({ method, path: rawUrl, headers: req.headers, body: text });
    const queryAt = rawUrl.indexOf('?');
    const rawPath = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const isHealth = rawPath.endsWith('/sys/health');
    if (hanging && !isHealth) await hanging.gate;
    if (latencyMs > 0 && !isHealth) await sleep(latencyMs, undefined, { signal: closing.signal }).catch(() => undefined);
    let answer: Answer;
    if (override && !isHealth && (override.paths?.test(rawPath) ?? true)) answer = override;
    else {
      try {
        const body: unknown = text === '' ? null : JSON.parse(text);
        answer = route(method, rawPath, new URLSearchParams(queryAt === -1 ? '' : rawUrl.slice(queryAt + 1)), req.headers, body);
      } catch (err) {
        answer = errors(400, `failed to parse JSON input: ${(err as Error).message}`);
      }
    }
    if (res.destroyed) return;
    const headers = { 'cache-control': 'no-store', ...answer.headers };
    if (answer.body === undefined || method === 'HEAD') res.writeHead(answer.status, headers).end();
    else if (typeof answer.body === 'string') res.writeHead(answer.status, headers).end(answer.body);
    else res.writeHead(answer.status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(answer.body));
  }

  const server = await startFakeServer((req, res) => void handle(req, res), options.tls);

  return {
    url: server.url,
    writeSecret: (mount, path, data) => kv2(mount).write(trimSlashes(path), data),
    writeV1Secret: (mount, path, data) => kv1(mount).write(trimSlashes(path), data),
    deleteVersions: (mount, path, versions) => kv2(mount).deleteVersions(trimSlashes(path), versions),
    destroyVersions: (mount, path, versions) => kv2(mount).destroyVersions(trimSlashes(path), versions),
    setLatency: (ms) => void (latencyMs = ms),
    hang(on) {
      if (on && !hanging) {
        let release = () => {};
        const gate = new Promise<void>((resolve) => (release = resolve));
        hanging = { gate, release };
      } else if (!on && hanging) {
        hanging.release();
        hanging = null;
      }
    },
    setOverride: (o) => void (override = o),
    revokeToken: (token) => tokens.revoke(token),
    expireTokens: () => tokens.expireAll(),
    issuedTokens: tokens.issued,
    requests,
    close: () => {
      closing.abort();
      hanging?.release();
      return server.close();
    },
  };
}
