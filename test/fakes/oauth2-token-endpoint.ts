/**
 * A stand-in for an OAuth 2.0 authorization server's token endpoint, client-credentials grant only,
 * served over real HTTP(S) on 127.0.0.1 so the gateway's own token client is what talks to it.
 * Written from RFC 6749 (§2.3.1 client password authentication, §4.4 client credentials grant,
 * §5.1 successful response, §5.2 error response) and RFC 6750 (§2.1 Bearer header):
 *
 * - `POST <path>` (default `/oauth2/token`) with `Content-Type: application/x-www-form-urlencoded`
 *   and `grant_type=client_credentials`; optional `scope` (space-separated) and `audience`.
 * - Client authentication (§2.3.1): HTTP Basic whose user-id and password are the form-encoded
 *   client id and secret (decoded here, as the RFC says), or `client_id` + `client_secret` in the
 *   body. Using both is refused (400 `invalid_request`: "MUST NOT use more than one"); a wrong or
 *   missing client is 401 `invalid_client`, with `WWW-Authenticate: Basic` when Basic was used.
 * - Success: 200 `{"access_token", "token_type": "Bearer", "expires_in", "scope"?}` with
 *   `Cache-Control: no-store` and `Pragma: no-cache`. Errors: `{"error", "error_description"}`
 *   as JSON (`unsupported_grant_type`, `invalid_request`, `invalid_scope`, `invalid_client`).
 *
 * Scenario switches: `failNext` (answer the next requests with any status and body, e.g. garbage
 * or an oversized body), `setLatency`, `setExpiresIn` (or omit it), `setTokenType`,
 * `setClientSecret` (rotation), `revokeAll`. An upstream checks a presented token with
 * `isValid` (issued here, not revoked, not expired). Tests assert on the wire through `requests`.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { constantTimeEqual } from '../../src/apikeys/hashing/constant-time-equal.js';
import { readBody, startFakeServer } from './fake-server.js';

export interface TokenEndpointOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Token path. Default `/oauth2/token`. */
  readonly path?: string;
  /** `expires_in` of issued tokens, seconds; null leaves it out. Default 3600. */
  readonly expiresIn?: number | null;
  /** When set, a requested scope outside this list is refused with 400 `invalid_scope`. */
  readonly allowedScopes?: readonly string[];
  /** Serve HTTPS with this key and certificate (PEM). */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
}

export interface TokenEndpointRequest {
  readonly method: string;
  /** Raw path and query, as sent. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** How the client authenticated, when it did: `basic` or `post`. */
  readonly clientAuth: 'basic' | 'post' | null;
  /** The decoded form fields (client_secret left out). */
  readonly form: Readonly<Record<string, string>>;
}

/** A canned answer for `failNext`. */
export interface CannedAnswer {
  readonly status: number;
  /** Sent as is (a string or Buffer), or as JSON. */
  readonly body: string | Buffer | Record<string, unknown>;
  readonly contentType?: string;
}

export interface TokenEndpoint {
  /** Origin, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The token endpoint's full URL. */
  readonly tokenUrl: string;
  readonly requests: readonly TokenEndpointRequest[];
  /** Every access token issued, in order. */
  readonly issued: readonly string[];
  /** True when `authorization` is `Bearer <token>` with a token issued here, not revoked and not expired. */
  isValid(authorization: string | string[] | undefined): boolean;
  /** Answers the next `count` requests with `answer` instead of checking them. */
  failNext(count: number, answer: CannedAnswer): void;
  /** Delays every answer by `ms`. */
  setLatency(ms: number): void;
  setExpiresIn(seconds: number | null): void;
  setTokenType(type: string): void;
  /** The secret the fake accepts from now on (the old one is refused). */
  setClientSecret(secret: string): void;
  /** Every token issued so far stops being valid. */
  revokeAll(): void;
  close(): Promise<void>;
}

type Answer = { readonly status: number; readonly body: string | Buffer; readonly headers: Record<string, string> };

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json;charset=UTF-8', 'cache-control': 'no-store', pragma: 'no-cache', ...headers },
});
const oauthError = (status: number, error: string, description: string, headers: Record<string, string> = {}) =>
  json(status, { error, error_description: description }, headers);

/** Starts the fake on 127.0.0.1 (a free port). */
export async function startTokenEndpoint(options: TokenEndpointOptions): Promise<TokenEndpoint> {
  const path = options.path ?? '/oauth2/token';
  const requests: TokenEndpointRequest[] = [];
  const issued: string[] = [];
  const valid = new Map<string, number>();
  let secret = options.clientSecret;
  let expiresIn = options.expiresIn === undefined ? 3600 : options.expiresIn;
  let tokenType = 'Bearer';
  let latency = 0;
  const canned: CannedAnswer[] = [];

  const same = (a: string, b: string) => constantTimeEqual(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

  const answer = (method: string, rawPath: string, headers: IncomingHttpHeaders, body: string): { answer: Answer; record: TokenEndpointRequest } => {
    const base = { method, path: rawPath, headers, body };
    const record = (clientAuth: 'basic' | 'post' | null, form: Record<string, string>): TokenEndpointRequest => ({ ...base, clientAuth, form });
    const next = canned.shift();
    if (next !== undefined) {
      const raw = typeof next.body === 'string' || Buffer.isBuffer(next.body) ? next.body : JSON.stringify(next.body);
      return { answer: { status: next.status, body: raw, headers: { 'content-type': next.contentType ?? 'application/json' } }, record: record(null, {}) };
    }
    if (rawPath !== path) return { answer: json(404, { error: 'not_found' }), record: record(null, {}) };
    if (method !== 'POST') return { answer: oauthError(400, 'invalid_request', 'the token endpoint takes POST'), record: record(null, {}) };
    const type = (headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/x-www-form-urlencoded') {
      return { answer: oauthError(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded'), record: record(null, {}) };
    }
    const params = new URLSearchParams(body);
    const form: Record<string, string> = {};
    for (const [k, v] of params) if (k !== 'client_secret') form[k] = v;

    const basic = basicCredentials(headers.authorization);
    const inBody = params.has('client_secret') || params.has('client_id');
    if (basic !== null && inBody)
      return { answer: oauthError(400, 'invalid_request', 'more than one client authentication method'), record: record('basic', form) };
    const clientAuth = basic !== null ? 'basic' : inBody ? 'post' : null;
    const client = basic ?? { id: params.get('client_id') ?? '', secret: params.get('client_secret') ?? '' };
    if (clientAuth === null || !same(client.id, options.clientId) || !same(client.secret, secret)) {
      const challenge: Record<string, string> = clientAuth === 'basic' ? { 'www-authenticate': 'Basic realm="token-endpoint"' } : {};
      return { answer: oauthError(401, 'invalid_client', 'client authentication failed', challenge), record: record(clientAuth, form) };
    }
    if (params.get('grant_type') !== 'client_credentials') {
      return { answer: oauthError(400, 'unsupported_grant_type', 'only client_credentials'), record: record(clientAuth, form) };
    }
    const scope = params.get('scope');
    const scopes = scope === null || scope === '' ? [] : scope.split(' ');
    if (options.allowedScopes && scopes.some((s) => !options.allowedScopes!.includes(s))) {
      return { answer: oauthError(400, 'invalid_scope', 'scope not allowed'), record: record(clientAuth, form) };
    }
    const token = randomBytes(32).toString('base64url');
    issued.push(token);
    valid.set(token, expiresIn === null ? Number.POSITIVE_INFINITY : Date.now() + expiresIn * 1000);
    const reply: Record<string, unknown> = { access_token: token, token_type: tokenType };
    if (expiresIn !== null) reply['expires_in'] = expiresIn;
    if (scopes.length > 0) reply['scope'] = scopes.join(' ');
    return { answer: json(200, reply), record: record(clientAuth, form) };
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = (await readBody(req)).toString('utf8');
    const { answer: a, record } = answer(req.method ?? '', req.url ?? '', req.headers, body);
    requests.push(record);
    await sleep(latency);
    if (res.destroyed) return;
    res.writeHead(a.status, { ...a.headers, 'content-length': String(Buffer.byteLength(a.body)) });
    res.end(a.body);
  }

  const server = await startFakeServer((req, res) => void handle(req, res), options.tls);
  const url = server.url;

  return {
    url,
    tokenUrl: `${url}${path}`,
    requests,
    issued,
    isValid(authorization) {
      if (typeof authorization !== 'string' || !authorization.startsWith('Bearer ')) return false;
      const expiry = valid.get(authorization.slice('Bearer '.length));
      return expiry !== undefined && Date.now() < expiry;
    },
    failNext: (count, a) => {
      for (let i = 0; i < count; i++) canned.push(a);
    },
    setLatency: (ms) => void (latency = ms),
    setExpiresIn: (seconds) => void (expiresIn = seconds),
    setTokenType: (type) => void (tokenType = type),
    setClientSecret: (s) => void (secret = s),
    revokeAll: () => valid.clear(),
    close: () => server.close(),
  };
}

/** The client id and secret of an `Authorization: Basic` header (each form-decoded, §2.3.1), or null. */
function basicCredentials(header: string | undefined): { id: string; secret: string } | null {
  if (header === undefined) return null;
  const match = /^Basic ([A-Za-z0-9+/]+={0,2})$/i.exec(header);
  if (match === null) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return null;
  const formDecode = (s: string) => new URLSearchParams(`v=${s}`).get('v') ?? '';
  return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
}
