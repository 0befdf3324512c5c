/**
 * A stand-in for the Azure Key Vault secrets data plane, served over HTTPS on 127.0.0.1 with the
 * TEST-ONLY localhost leaf, so the real `@azure/keyvault-secrets` 4.11 `SecretClient` is what talks
 * to it. Written from the Key Vault REST reference ("Get Secret": `GET {vaultBaseUrl}/secrets/
 * {secret-name}/{secret-version}?api-version=…`, the SecretBundle `{value, id, contentType, tags,
 * attributes: {enabled, created, updated, recoveryLevel, recoverableDays}}` with epoch-second
 * timestamps), "Azure Key Vault REST API Error Codes" (401 with a `WWW-Authenticate: Bearer
 * authorization="…/<tenant>", resource="https://vault.azure.net"` challenge for a missing or refused
 * token; 403 `Forbidden` for a caller without `get` permission or a disabled secret; 404
 * `SecretNotFound`; 429 `Throttled` with `Retry-After`; errors as `{"error": {code, message,
 * innererror?}}`), and /work/shared/research/secret-backends-wire.md §5 and §7 (probed):
 *
 * - The client's first request carries no Authorization (challenge-based auth): it gets the 401
 *   challenge. A token presented before this fake ever sent a challenge means the challenge path was
 *   skipped: the request is refused with 400 and recorded in `violations`.
 * - A token is accepted only when `identity.introspect` says it was issued for this vault's tenant
 *   and the `https://vault.azure.net` audience and is still valid; otherwise 401 with the challenge.
 * - `api-version` is read from the parsed query (the client sends it as `api%2Dversion`); missing or
 *   unknown → 400 `BadParameter`.
 * - `GET /secrets/{name}/` (the client's trailing slash for the current version) or `/secrets/{name}`,
 *   and `/secrets/{name}/{version}`; names are case-insensitive, versions are 32 hex digits.
 * - Replies carry the full-URL `id` (`<vault url>/secrets/<name>/<version>`) the client parses.
 *
 * Scenario switches: `hang`, `failWith` (a status and error code for every secret read),
 * `allowClients` (callers with `get` permission; others get 403). `requests` logs every call.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { LOCALHOST_TLS } from '../support/tls-fixtures.js';
import { startFakeServer } from './fake-server.js';
import type { IssuedToken } from './azure-identity.js';

export interface AzureKeyVaultFakeOptions {
  /** The vault's directory: tokens must be issued in it, and the challenge names it. */
  readonly tenantId: string;
  /** Who issued the tokens presented (the identity fake). */
  readonly identity: { introspect(token: string): IssuedToken | null };
  /** The authority the challenge names; default `https://login.microsoftonline.com` as Key Vault does. */
  readonly challengeAuthority?: string;
}

export interface AzureKeyVaultFakeRequest {
  readonly method: string;
  /** Raw path and query, as sent. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

export interface AzureKeyVaultFake {
  /** The vault URI (`https://127.0.0.1:<port>`), i.e. the backend's `vault_uri`. */
  readonly url: string;
  /** Stores `value` as a new version of secret `name` and returns the version id. */
  setSecret(name: string, value: string, options?: { readonly contentType?: string; readonly enabled?: boolean }): string;
  /** Removes a secret with all its versions. */
  deleteSecret(name: string): void;
  /** Only these client ids may read (403 otherwise); null (the default) lets every valid token read. */
  allowClients(clientIds: readonly string[] | null): void;
  /** Answers every authorized secret read with this status and error code until called with null. */
  failWith(failure: { readonly status: number; readonly code: string; readonly retryAfter?: number } | null): void;
  /** Requests hang (never answered) until called with false. */
  hang(on: boolean): void;
  readonly requests: readonly AzureKeyVaultFakeRequest[];
  /** Protocol violations by the client (a token sent before any challenge). Tests expect none. */
  readonly violations: readonly string[];
  close(): Promise<void>;
}

/** The service versions `@azure/keyvault-secrets` 4.11 can send. */
const API_VERSIONS = new Set(['7.0', '7.1', '7.2', '7.3', '7.4', '7.5', '7.6', '2025-07-01']);
const RESOURCE = 'https://vault.azure.net';

interface Version {
  readonly id: string;
  readonly value: string;
  readonly contentType?: string;
  readonly enabled: boolean;
  readonly created: number;
}
interface Secret {
  readonly name: string;
  readonly versions: Version[];
}

type Answer = { readonly status: number; readonly body?: unknown; readonly headers?: Record<string, string> };
const kvError = (status: number, code: string, message: string, inner?: string): Answer => ({
  status,
  body: { error: { code, message, ...(inner ? { innererror: { code: inner } } : {}) } },
});

export async function startAzureKeyVaultFake(options: AzureKeyVaultFakeOptions): Promise<AzureKeyVaultFake> {
  const secrets = new Map<string, Secret>();
  const requests: AzureKeyVaultFakeRequest[] = [];
  const violations: string[] = [];
  let challengesSent = 0;
  let allowed: readonly string[] | null = null;
  let failure: { status: number; code: string; retryAfter?: number } | null = null;
  let hanging = false;
  let url = '';
  const authority = `${options.challengeAuthority ?? 'https://login.microsoftonline.com'}/${options.tenantId}`;

  const challenge = (code: string, message: string): Answer => {
    challengesSent += 1;
    return {
      ...kvError(401, 'Unauthorized', `${code}: ${message}`),
      headers: { 'www-authenticate': `Bearer authorization="${authority}", resource="${RESOURCE}"` },
    };
  };

  /** Key Vault's token checks, in its order: present, issued for this tenant and audience, valid. */
  function authenticate(headers: IncomingHttpHeaders): Answer | IssuedToken {
    const bearer = /^Bearer (\S+)$/.exec(headers.authorization ?? '')?.[1];
    if (bearer === undefined) return challenge('AKV10000', 'Request is missing a Bearer or PoP token.');
    if (challengesSent === 0) {
      violations.push('a token was sent before any challenge: the challenge-based auth path was skipped');
      return kvError(400, 'BadParameter', 'The fake expected the unauthenticated challenge request first.');
    }
    const grant = options.identity.introspect(bearer);
    if (!grant) return challenge('AKV10013', 'Token validation failed: the token is unknown, revoked or expired.');
    if (grant.audience !== RESOURCE) return challenge('AKV10022', `Invalid audience. Expected ${RESOURCE}, found: ${grant.audience}.`);
    if (grant.tenantId !== options.tenantId) {
      return challenge(
        'AKV10032',
        `Invalid issuer. Expected one of https://sts.windows.net/${options.tenantId}/, found: https://sts.windows.net/${grant.tenantId}/.`,
      );
    }
    return grant;
  }

  function bundle(secret: Secret, v: Version) {
    return {
      value: v.value,
      ...(v.contentType ? { contentType: v.contentType } : {}),
      id: `${url}/secrets/${secret.name}/${v.id}`,
      attributes: { enabled: v.enabled, created: v.created, updated: v.created, recoveryLevel: 'Recoverable+Purgeable', recoverableDays: 90 },
      tags: {},
    };
  }

  function getSecret(name: string, version: string | null): Answer {
    const secret = secrets.get(name.toLowerCase());
    const v = secret && (version === null ? secret.versions.at(-1) : secret.versions.find((x) => x.id === version.toLowerCase()));
    if (!secret || !v) {
      const which = version === null ? name : `${name}/${version}`;
      return kvError(
        404,
        'SecretNotFound',
        `A secret with (name/id) ${which} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command.`,
      );
    }
    if (!v.enabled) return kvError(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', 'SecretDisabled');
    return { status: 200, body: bundle(secret, v) };
  }

  function route(method: string, path: string, query: URLSearchParams, headers: IncomingHttpHeaders): Answer {
    const auth = authenticate(headers);
    if (!('clientId' in auth)) return auth;
    const apiVersion = query.get('api-version');
    if (apiVersion === null) return kvError(400, 'BadParameter', 'The api-version query parameter is missing.');
    if (!API_VERSIONS.has(apiVersion)) return kvError(400, 'BadParameter', `The specified version (${apiVersion}) is not recognized.`);
    const m = /^\/secrets\/([0-9A-Za-z-]{1,127})(?:\/([0-9A-Fa-f]{32})?)?$/.exec(path);
    if (method !== 'GET' || !m) return kvError(400, 'BadParameter', `The request URI ${method} ${path} is invalid for this fake.`);
    if (allowed !== null && !allowed.includes(auth.clientId)) {
      return kvError(
        403,
        'Forbidden',
        `The user, group or application 'appid=${auth.clientId}' does not have secrets get permission on key vault.`,
        'AccessDenied',
      );
    }
    if (failure) {
      const headers: Record<string, string> = failure.retryAfter === undefined ? {} : { 'retry-after': String(failure.retryAfter) };
      return { ...kvError(failure.status, failure.code, `The test made this read fail with ${failure.code}.`), headers };
    }
    return getSecret(m[1]!, m[2] ?? null);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for await (const _ of req); // the body (none for GET) is not used
    const rawUrl = req.url ?? '/';
    const method = req.method ?? 'GET';
    requests.push({ method, path: rawUrl, headers: req.headers });
    if (hanging) return; // answered never; close() destroys the socket
    const queryAt = rawUrl.indexOf('?');
    const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const answer = route(method, path, new URLSearchParams(queryAt === -1 ? '' : rawUrl.slice(queryAt + 1)), req.headers);
    res
      .writeHead(answer.status, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-cache',
        'x-ms-request-id': randomUUID(),
        'x-ms-keyvault-service-version': '1.9.0.0',
        ...answer.headers,
      })
      .end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
  }

  const server = await startFakeServer((req, res) => void handle(req, res), LOCALHOST_TLS);
  url = server.url;

  return {
    url,
    setSecret(name, value, opts = {}) {
      if (!/^[0-9A-Za-z-]{1,127}$/.test(name)) throw new Error(`"${name}" is not a Key Vault secret name`);
      let secret = secrets.get(name.toLowerCase());
      if (!secret) secrets.set(name.toLowerCase(), (secret = { name, versions: [] }));
      const id = randomBytes(16).toString('hex');
      secret.versions.push({
        id,
        value,
        enabled: opts.enabled ?? true,
        created: Math.floor(Date.now() / 1000),
        ...(opts.contentType ? { contentType: opts.contentType } : {}),
      });
      return id;
    },
    deleteSecret: (name) => void secrets.delete(name.toLowerCase()),
    allowClients: (ids) => void (allowed = ids),
    failWith: (f) => void (failure = f),
    hang: (on) => void (hanging = on),
    requests,
    violations,
    close: () => server.close(),
  };
}
