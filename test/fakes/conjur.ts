/**
 * A stand-in for CyberArk Conjur's REST API, served over real HTTP(S) on 127.0.0.1 so the `conjur`
 * backend's own HTTP client is what talks to it. Written from the Conjur OpenAPI spec
 * (cyberark/conjur-openapi-spec spec/authentication.yml, spec/secrets.yml), Conjur's controllers
 * (cyberark/conjur app/controllers/{secrets,application}_controller.rb, app/domain/errors.rb) and
 * the Go client (cyberark/conjur-api-go conjurapi/authn/auth_token.go), as summed up in
 * /work/shared/research/secret-backends-wire.md §6:
 *
 * - `POST /authn/{account}/{login}/authenticate`, body = the login's API key (compared in constant
 *   time) → 200 `application/json` v5 access token `{protected, payload, signature}` whose payload
 *   is base64 of `{sub, iat, exp}` (`exp` left out when the token life is null: Conjur's 8 minutes
 *   then apply); `Accept-Encoding: base64` → the token base64-encoded, `Content-Encoding: base64`.
 *   A wrong key, login or account → 401 with an empty body. Logins and ids are ONE path segment,
 *   percent-decoded once (`host%2Fapp` and `host%2fapp` alike): a host logs in as `host/<id>`.
 * - `GET /secrets/{account}/variable/{id}[?version=N]` with `Authorization: Token token="<base64>"`
 *   (exactly that form): the token must decode to one this fake signed and not expired, else 401
 *   with an empty body. Then 404 (Conjur's not_found JSON) for a missing variable, one the role
 *   cannot see, one with no value, or a version not kept (the last 20 are); 403 when the role can
 *   see the variable but lacks `execute`; 422 for a version that is not a number; 200 with the raw
 *   value as `application/octet-stream`.
 *
 * Scenario switches: `rotateSigningKey` (every issued token is refused), `setTokenLife`,
 * `setTokenShape` (garbage tokens), `failWith` (a status for one route), `hang` (requests wait
 * until released). Time comes from `now` (tests share a clock with the client). Assert on the wire
 * through `requests`.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createHmac, randomBytes } from 'node:crypto';
import { constantTimeEqual } from '../../src/apikeys/hashing/constant-time-equal.js';
import { createRequestHold, readBody, startFakeServer } from './fake-server.js';

export interface ConjurFakeOptions {
  /** The organization account. Default `myConjurAccount`, as Conjur's quick start names it. */
  readonly account?: string;
  /** Seconds from `iat` to `exp`; null leaves `exp` out (8 minutes). Default 480. */
  readonly tokenLifeSeconds?: number | null;
  /** Serve HTTPS with this key and certificate (PEM). */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
  /** The clock (ms) tokens are issued and checked on. Default `Date.now`. */
  readonly now?: () => number;
}

export interface ConjurFakeRequest {
  readonly method: string;
  /** Raw path and query, as sent. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The status answered. */
  status: number;
}

export type ConjurPrivilege = 'execute' | 'read' | 'none';
export type ConjurRoute = 'authenticate' | 'secrets';

export interface ConjurFake {
  readonly url: string;
  readonly account: string;
  /** A role that can log in (`admin`, `host/apps/portcullis`) with `apiKey`. */
  addRole(login: string, apiKey: string): void;
  /** Adds a version of variable `id` (declaring it when new) and returns its number. */
  addSecret(id: string, value: string | Buffer): number;
  /** Declares variable `id` with no value yet. */
  declareVariable(id: string): void;
  /** What `login` may do with variable `id`: `execute` (fetch; the default), `read` (see only), `none` (invisible). */
  permit(login: string, id: string, privilege: ConjurPrivilege): void;
  /** A new signing key: every token issued so far is refused with 401 (as after Conjur's key rotation). */
  rotateSigningKey(): void;
  setTokenLife(seconds: number | null): void;
  /** `garbage`: authenticate answers 200 with JSON that is no token; `valid` (default): real tokens. */
  setTokenShape(shape: 'valid' | 'garbage'): void;
  /** Answers every request to `route` with `status` and an empty body (null: back to normal). */
  failWith(route: ConjurRoute, status: number | null): void;
  /** While on, requests are held unanswered; turning it off answers them. */
  hang(on: boolean): void;
  readonly requests: readonly ConjurFakeRequest[];
  close(): Promise<void>;
}

interface Variable {
  /** Version number → value; at most the last 20. */
  readonly versions: Map<number, Buffer>;
  latest: number;
}

/** Conjur keeps this many versions of a variable. */
const KEPT_VERSIONS = 20;
const DEFAULT_TOKEN_LIFE_SECONDS = 8 * 60;
const AUTHENTICATE = /^\/authn\/([^/]+)\/([^/]+)\/authenticate$/;
/** The id is everything after `variable/`, `/` included (Conjur's route is a glob): never split first. */
const SECRET = /^\/secrets\/([^/]+)\/variable\/(.+)$/;
const TOKEN_HEADER = /^Token token="([A-Za-z0-9+/]+={0,2})"$/;

type Answer = { readonly status: number; readonly body?: string | Buffer; readonly headers?: Record<string, string> };
const empty = (status: number): Answer => ({ status });
const json = (status: number, body: unknown): Answer => ({ status, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
/** Conjur's render_record_not_found body. */
const notFound = (message: string, resourceId: string) =>
  json(404, { error: { code: 'not_found', message, target: 'variable', details: { code: 'not_found', target: 'id', message: resourceId } } });
const decodeOnce = (s: string): string | null => {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
};

export async function startConjurFake(options: ConjurFakeOptions = {}): Promise<ConjurFake> {
  const account = options.account ?? 'myConjurAccount';
  const now = options.now ?? Date.now;
  let tokenLife = options.tokenLifeSeconds === undefined ? DEFAULT_TOKEN_LIFE_SECONDS : options.tokenLifeSeconds;
  let tokenShape: 'valid' | 'garbage' = 'valid';
  let signingKey = randomBytes(32);
  const keyId = () => createHmac('sha256', signingKey).update('kid').digest('hex').slice(0, 32);
  const roles = new Map<string, Buffer>();
  const variables = new Map<string, Variable>();
  const privileges = new Map<string, ConjurPrivilege>();
  const failures = new Map<ConjurRoute, number>();
  const requests: ConjurFakeRequest[] = [];
  const hold = createRequestHold();

  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  const sign = (protectedHeader: string, payload: string) => createHmac('sha256', signingKey).update(`${protectedHeader}.${payload}`).digest('base64url');

  function issueToken(login: string): string {
    const iat = Math.floor(now() / 1000);
    const protectedHeader = b64(JSON.stringify({ alg: 'conjur.org/slosilo/v2', kid: keyId() }));
    const payload = b64(JSON.stringify(tokenLife === null ? { sub: login, iat } : { sub: login, iat, exp: iat + tokenLife }));
    return JSON.stringify({ protected: protectedHeader, payload, signature: sign(protectedHeader, payload) });
  }

  /** The login a valid, unexpired token of this fake names; null for anything else. */
  function tokenLogin(authorization: string | undefined): string | null {
    const base64 = TOKEN_HEADER.exec(authorization ?? '')?.[1];
    if (base64 === undefined) return null;
    const raw = Buffer.from(base64, 'base64');
    if (raw.toString('base64') !== base64) return null;
    try {
      const token = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
      const { protected: protectedHeader, payload, signature } = token;
      if (typeof protectedHeader !== 'string' || typeof payload !== 'string' || typeof signature !== 'string') return null;
      if (!constantTimeEqual(Buffer.from(signature), Buffer.from(sign(protectedHeader, payload)))) return null;
      const claims = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as { sub?: unknown; iat?: unknown; exp?: unknown };
      if (typeof claims.sub !== 'string' || typeof claims.iat !== 'number') return null;
      const exp = typeof claims.exp === 'number' ? claims.exp : claims.iat + DEFAULT_TOKEN_LIFE_SECONDS;
      return now() / 1000 < exp && roles.has(claims.sub) ? claims.sub : null;
    } catch {
      return null;
    }
  }

  function authenticate(method: string, rawAccount: string, rawLogin: string, headers: IncomingHttpHeaders, body: Buffer): Answer {
    if (method !== 'POST') return empty(405);
    const login = decodeOnce(rawLogin);
    const key = login === null ? undefined : roles.get(login);
    // Compare even for an unknown login, so the answer's timing does not tell which logins exist.
    const matches = constantTimeEqual(body, key ?? randomBytes(body.length || 1));
    if (decodeOnce(rawAccount) !== account || key === undefined || !matches) return empty(401);
    if (tokenShape === 'garbage') return json(200, { token: 'not-a-conjur-token' });
    const token = issueToken(login!);
    if (String(headers['accept-encoding'] ?? '').toLowerCase() === 'base64')
      return { status: 200, body: b64(token), headers: { 'content-type': 'text/plain', 'content-encoding': 'base64' } };
    return { status: 200, body: token, headers: { 'content-type': 'application/json' } };
  }

  function readSecret(method: string, rawAccount: string, rawId: string, query: URLSearchParams, headers: IncomingHttpHeaders): Answer {
    if (method !== 'GET' && method !== 'HEAD') return empty(405);
    // Authentication comes first: without a good token nothing else is told.
    const login = tokenLogin(headers.authorization);
    if (login === null) return empty(401);
    const id = decodeOnce(rawId);
    const acct = decodeOnce(rawAccount);
    if (id === null || acct === null) return json(400, { error: { code: 'bad_request', message: 'invalid percent-encoding' } });
    const resourceId = `${acct}:variable:${id}`;
    const variable = acct === account ? variables.get(id) : undefined;
    const privilege = privileges.get(`${login}\u0000${id}`) ?? 'execute';
    if (!variable || privilege === 'none') return notFound(`Variable '${id}' not found in account '${acct}'`, resourceId);
    if (privilege === 'read') return json(403, { error: { code: 'forbidden', message: 'Forbidden' } });
    const asked = query.get('version');
    if (asked !== null && !/^\d+$/.test(asked)) return json(422, { error: { code: 'argument_error', message: 'version' } });
    const value = variable.versions.get(asked === null ? variable.latest : Number(asked));
    if (value === undefined) return notFound(`CONJ00076E Variable ${resourceId} is empty or not found.`, resourceId);
    return { status: 200, body: value, headers: { 'content-type': 'application/octet-stream' } };
  }

  function route(method: string, rawPath: string, query: URLSearchParams, headers: IncomingHttpHeaders, body: Buffer): Answer {
    const authn = AUTHENTICATE.exec(rawPath);
    if (authn) return failures.has('authenticate') ? empty(failures.get('authenticate')!) : authenticate(method, authn[1]!, authn[2]!, headers, body);
    const secret = SECRET.exec(rawPath);
    if (secret) return failures.has('secrets') ? empty(failures.get('secrets')!) : readSecret(method, secret[1]!, secret[2]!, query, headers);
    return empty(404);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const rawUrl = req.url ?? '/';
    const method = req.method ?? 'GET';
    const entry: ConjurFakeRequest = { method, path: rawUrl, headers: req.headers, body: body.toString('utf8'), status: 0 };
    requests.push(entry);
    if (hold.active) await hold.wait();
    const queryAt = rawUrl.indexOf('?');
    const rawPath = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const answer = route(method, rawPath, new URLSearchParams(queryAt === -1 ? '' : rawUrl.slice(queryAt + 1)), req.headers, body);
    entry.status = answer.status;
    if (res.destroyed) return;
    res.writeHead(answer.status, answer.headers ?? {});
    res.end(method === 'HEAD' ? undefined : answer.body);
  }

  const server = await startFakeServer((req, res) => void handle(req, res), options.tls);

  const variable = (id: string): Variable => {
    let v = variables.get(id);
    if (!v) variables.set(id, (v = { versions: new Map(), latest: 0 }));
    return v;
  };

  return {
    url: server.url,
    account,
    addRole: (login, apiKey) => void roles.set(login, Buffer.from(apiKey)),
    addSecret(id, value) {
      const v = variable(id);
      v.latest += 1;
      v.versions.set(v.latest, Buffer.from(value));
      v.versions.delete(v.latest - KEPT_VERSIONS);
      return v.latest;
    },
    declareVariable: (id) => void variable(id),
    permit: (login, id, privilege) => void privileges.set(`${login}\u0000${id}`, privilege),
    rotateSigningKey: () => void (signingKey = randomBytes(32)),
    setTokenLife: (seconds) => void (tokenLife = seconds),
    setTokenShape: (shape) => void (tokenShape = shape),
    failWith: (which, status) => void (status === null ? failures.delete(which) : failures.set(which, status)),
    hang: (on) => hold.set(on),
    requests,
    close: () => {
      hold.set(false);
      return server.close();
    },
  };
}
