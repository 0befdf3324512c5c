/**
 * A stand-in for GCP Secret Manager's REST API (v1), served over HTTPS (the TEST-ONLY localhost
 * certificate) on 127.0.0.1, so `@google-cloud/secret-manager` in REST mode (`fallback: true`) is
 * what talks to it. Written from Google's documentation and the client's own definitions:
 * secret-manager/docs/reference/rest/v1/projects.secrets.versions/access (+ the regional
 * projects.locations.secrets.versions/access), the `google.api.http` rules in the package's
 * protos.json, cloud.google.com/apis/design/errors (the error envelope and its HTTP ↔ status
 * table), secret-manager/docs/access-secret-version (`latest`, aliases, disabled and destroyed
 * versions, CRC-32C), and google-auth-library's JWTAccess (the self-signed JWT a service-account
 * key sends instead of an OAuth token), plus the probes in research/secret-backends-wire.md §4.
 *
 * - Only `GET /v1/projects/{p}[/locations/{l}]/secrets/{s}/versions/{v}:access` exists, matched by
 *   hand on the raw path (routers take `:access` for a parameter); `$alt=json;enum-encoding=int`
 *   in the query is tolerated. `{p}` is the project id or number; answers name the number.
 * - Auth first: `Authorization: Bearer` must be a token the metadata fake issued (`acceptsToken`)
 *   or an RS256 JWT signed by a known service-account key with `kid` = private_key_id, `iss` =
 *   `sub` = client_email, `scope` holding cloud-platform, a valid `iat`/`exp` and a lifetime of at
 *   most one hour; otherwise 401 UNAUTHENTICATED. Then `x-goog-request-params` must be
 *   `name=<the resource of the path>` (400 otherwise), the project must be this fake's (403).
 * - Versions are numbers from 1, `latest` (the newest created, whatever its state) or an alias; a
 *   missing secret or version is 404 NOT_FOUND, a disabled or destroyed one 400
 *   FAILED_PRECONDITION, a denied secret 403 PERMISSION_DENIED "(or it may not exist)".
 * - Success is `{name, payload: {data: <base64>, dataCrc32c: "<decimal>"}}` with the real CRC-32C.
 *   Errors are `{"error": {code, message, status}}` as JSON.
 *
 * Scenario switches: `corrupt` (a wrong dataCrc32c), `failWith` (every access answers one error),
 * `oversize` (a body of several MiB), `hang`, `deny`, `setVersionState`; `requests` records the wire.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { crc32c } from '../../src/secrets/backends/gcp/crc32c.js';
import { LOCALHOST_TLS } from '../support/tls-fixtures.js';
import { startFakeServer } from './fake-server.js';

/** A service-account key as Google issues it (IAM → Keys → JSON), with its public half for the fake. */
export interface ServiceAccountKeyFixture {
  /** The key file's JSON text: what `service_account_key` or GOOGLE_APPLICATION_CREDENTIALS hold. */
  readonly json: string;
  readonly clientEmail: string;
  readonly keyId: string;
  readonly privateKeyPem: string;
  readonly publicKey: KeyObject;
}

/** Makes a fresh RSA-2048 service-account key for `name@project.iam.gserviceaccount.com`. */
export function createServiceAccountKey(projectId: string, name: string): ServiceAccountKeyFixture {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const clientEmail = `${name}@${projectId}.iam.gserviceaccount.com`;
  const keyId = randomBytes(20).toString('hex');
  const json = JSON.stringify({
    type: 'service_account',
    project_id: projectId,
    private_key_id: keyId,
    private_key: privateKeyPem,
    client_email: clientEmail,
    client_id: String(100_000_000_000_000_000_000n + BigInt(randomBytes(6).readUIntBE(0, 6))),
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: 'https://oauth2.googleapis.com/token',
  });
  return { json, clientEmail, keyId, privateKeyPem, publicKey };
}

export type VersionState = 'ENABLED' | 'DISABLED' | 'DESTROYED';

export interface GcpSecretManagerFakeOptions {
  readonly projectId?: string;
  readonly projectNumber?: string;
  /** Keys whose self-signed JWTs are accepted. */
  readonly serviceAccounts?: readonly Pick<ServiceAccountKeyFixture, 'clientEmail' | 'keyId' | 'publicKey'>[];
  /** Accepts other Bearer tokens (those the metadata fake issued). */
  readonly acceptsToken?: (token: string) => boolean;
}

export interface GcpSecretManagerFakeRequest {
  readonly method: string;
  /** Raw path and query, as sent. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** Why the fake refused the request, when it did (for test diagnostics). */
  refusal?: string;
}

export interface GcpSecretManagerFake {
  /** `127.0.0.1:<port>`, the value for `api_endpoint`. */
  readonly endpoint: string;
  readonly projectId: string;
  readonly projectNumber: string;
  /** Adds a version (ENABLED) and returns its number; `location` makes it a regional secret. */
  addVersion(secret: string, data: string | Uint8Array, location?: string): string;
  setVersionState(secret: string, version: string, state: VersionState, location?: string): void;
  /** Points a version alias (`prod`, `blue` …) at a version. */
  setAlias(secret: string, alias: string, version: string, location?: string): void;
  /** Refuses access to a secret (an IAM binding that is missing): 403 PERMISSION_DENIED. */
  deny(secret: string, location?: string): void;
  /** Sends a wrong `dataCrc32c` with every payload until called with false. */
  corrupt(on: boolean): void;
  /**
   * Answers the next `times` accesses (default: all) with this error; null: answer normally. With
   * `html`, the body is an HTML error page (as Google's front end or a proxy sends) instead of the envelope.
   */
  failWith(error: { readonly code: number; readonly status: string; readonly message?: string; readonly html?: boolean } | null, times?: number): void;
  /** Answers every access with this HTTP status and a JSON body of several MiB (null: answer normally). */
  oversize(status: number | null): void;
  /** Stops answering (requests hang) until called with false. */
  hang(on: boolean): void;
  /** Hung requests whose connection the client has not closed yet (a cancelled request closes it). */
  readonly hanging: number;
  readonly requests: readonly GcpSecretManagerFakeRequest[];
  close(): Promise<void>;
}

interface Version {
  readonly data: Buffer;
  state: VersionState;
}

interface Secret {
  readonly versions: Version[];
  readonly aliases: Map<string, number>;
  denied: boolean;
}

/** A JSON body, or text sent as it is (an HTML error page). */
type Answer = { readonly status: number; readonly body: unknown; readonly html?: string };

const ACCESS = /^\/v1\/projects\/([^/]+)\/(?:locations\/([^/]+)\/)?secrets\/([^/]+)\/versions\/([^/:]+):access$/;
const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';
const error = (code: number, status: string, message: string): Answer => ({ status: code, body: { error: { code, message, status } } });
const UNAUTHENTICATED = error(
  401,
  'UNAUTHENTICATED',
  'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
);

const decodeOnce = (s: string): string | null => {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
};

function base64urlJson(part: string | undefined): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export async function startGcpSecretManagerFake(options: GcpSecretManagerFakeOptions = {}): Promise<GcpSecretManagerFake> {
  const projectId = options.projectId ?? 'portcullis-test';
  const projectNumber = options.projectNumber ?? '123456789012';
  const accounts = new Map((options.serviceAccounts ?? []).map((a) => [a.keyId, a]));
  const secrets = new Map<string, Secret>();
  const requests: GcpSecretManagerFakeRequest[] = [];
  let corrupting = false;
  let failure: Answer | null = null;
  let failures = 0;
  let oversizeStatus: number | null = null;
  let hanging = false;
  const hung = new Set<ServerResponse>();

  const keyOf = (secret: string, location?: string) => `${location ?? ''}|${secret}`;
  const secretOf = (secret: string, location?: string, create = false): Secret => {
    let s = secrets.get(keyOf(secret, location));
    if (!s && create) secrets.set(keyOf(secret, location), (s = { versions: [], aliases: new Map(), denied: false }));
    if (!s) throw new Error(`the GCP fake has no secret ${secret}`);
    return s;
  };

  /** Why `jwt` is not a self-signed JWT of a known service account, or null when it is one. */
  function jwtRefusal(jwt: string): string | null {
    const [h, p, s] = jwt.split('.');
    if (s === undefined || jwt.split('.').length !== 3) return 'not a JWT';
    const header = base64urlJson(h);
    const claims = base64urlJson(p);
    if (!header || !claims) return 'JWT parts are not JSON';
    if (header['alg'] !== 'RS256') return `JWT alg ${String(header['alg'])}`;
    const account = typeof header['kid'] === 'string' ? accounts.get(header['kid']) : undefined;
    if (!account) return 'JWT kid is not a known private_key_id';
    if (!verify('sha256', Buffer.from(`${h}.${p}`), account.publicKey, Buffer.from(s, 'base64url'))) return 'JWT signature does not verify';
    if (claims['iss'] !== account.clientEmail || claims['sub'] !== account.clientEmail) return 'JWT iss/sub is not the client_email';
    if (typeof claims['scope'] !== 'string' || !claims['scope'].split(' ').includes(CLOUD_PLATFORM)) return 'JWT scope lacks cloud-platform';
    const now = Date.now() / 1000;
    const { iat, exp } = claims;
    if (typeof iat !== 'number' || typeof exp !== 'number') return 'JWT iat/exp missing';
    if (iat > now + 60 || exp <= now || exp - iat > 3600) return 'JWT iat/exp out of range';
    return null;
  }

  function authRefusal(authorization: string | undefined): string | null {
    const bearer = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (bearer === undefined) return 'no Bearer token';
    if (options.acceptsToken?.(bearer)) return null;
    return bearer.split('.').length === 3 ? jwtRefusal(bearer) : 'unknown access token';
  }

  function access(project: string, location: string | undefined, secretId: string, versionId: string): Answer {
    const base = `projects/${projectNumber}/${location === undefined ? '' : `locations/${location}/`}secrets/${secretId}`;
    const asked = `projects/${project}/${location === undefined ? '' : `locations/${location}/`}secrets/${secretId}/versions/${versionId}`;
    if (project !== projectId && project !== projectNumber) {
      return error(403, 'PERMISSION_DENIED', `Permission 'secretmanager.versions.access' denied for resource '${asked}' (or it may not exist).`);
    }
    const secret = secrets.get(keyOf(secretId, location));
    if (secret?.denied)
      return error(403, 'PERMISSION_DENIED', `Permission 'secretmanager.versions.access' denied for resource '${asked}' (or it may not exist).`);
    if (!secret || secret.versions.length === 0) return error(404, 'NOT_FOUND', `Secret [${base}] not found or has no versions.`);
    let n: number | undefined;
    if (versionId === 'latest') n = secret.versions.length;
    else if (/^[1-9][0-9]{0,18}$/.test(versionId)) n = Number(versionId);
    else n = secret.aliases.get(versionId);
    const version = n === undefined ? undefined : secret.versions[n - 1];
    if (n === undefined || !version) return error(404, 'NOT_FOUND', `Secret Version [${base}/versions/${versionId}] not found.`);
    if (version.state !== 'ENABLED') {
      return error(400, 'FAILED_PRECONDITION', `Secret Version [${base}/versions/${n}] is in ${version.state} state.`);
    }
    if (oversizeStatus === 200) return { status: 200, body: { name: `${base}/versions/${n}`, payload: { data: randomBytes(3 << 20).toString('base64') } } };
    if (oversizeStatus !== null) return error(oversizeStatus, 'INTERNAL', 'x'.repeat(4 << 20));
    const checksum = crc32c(version.data) + (corrupting ? 1 : 0);
    return { status: 200, body: { name: `${base}/versions/${n}`, payload: { data: version.data.toString('base64'), dataCrc32c: String(checksum >>> 0) } } };
  }

  function route(req: IncomingMessage, record: GcpSecretManagerFakeRequest): Answer {
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    const rawPath = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const m = ACCESS.exec(rawPath);
    if (req.method !== 'GET' || !m) {
      record.refusal = `no such method: ${req.method} ${rawPath}`;
      return error(404, 'NOT_FOUND', `fake: ${record.refusal}`);
    }
    const refusal = authRefusal(req.headers.authorization);
    if (refusal !== null) {
      record.refusal = refusal;
      return UNAUTHENTICATED;
    }
    const [project, location, secretId, versionId] = m.slice(1).map((s) => (s === undefined ? undefined : decodeOnce(s)));
    if (project == null || location === null || secretId == null || versionId == null) return error(400, 'INVALID_ARGUMENT', 'Invalid resource name.');
    const name = `projects/${project}/${location === undefined ? '' : `locations/${location}/`}secrets/${secretId}/versions/${versionId}`;
    const params = new URLSearchParams(String(req.headers['x-goog-request-params'] ?? ''));
    if (params.get('name') !== name) {
      record.refusal = `x-goog-request-params ${String(req.headers['x-goog-request-params'])} does not name ${name}`;
      return error(400, 'INVALID_ARGUMENT', `fake: ${record.refusal}`);
    }
    if (failure && failures > 0) {
      failures -= 1;
      return failure;
    }
    return access(project, location, secretId, versionId);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const record: GcpSecretManagerFakeRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers };
    requests.push(record);
    req.resume();
    if (hanging) {
      hung.add(res);
      res.on('close', () => hung.delete(res));
      return;
    }
    const answer = route(req, record);
    if (answer.html !== undefined) {
      res.writeHead(answer.status, { 'content-type': 'text/html; charset=UTF-8' }).end(answer.html);
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=UTF-8', vary: 'X-Origin, Referer, Origin,Accept-Encoding' });
    res.end(JSON.stringify(answer.body));
  }

  const server = await startFakeServer(handle, LOCALHOST_TLS);

  return {
    endpoint: new URL(server.url).host,
    projectId,
    projectNumber,
    addVersion(secret, data, location) {
      const s = secretOf(secret, location, true);
      s.versions.push({ data: Buffer.from(data), state: 'ENABLED' });
      return String(s.versions.length);
    },
    setVersionState(secret, version, state, location) {
      const v = secretOf(secret, location).versions[Number(version) - 1];
      if (!v) throw new Error(`the GCP fake has no version ${version} of ${secret}`);
      v.state = state;
    },
    setAlias: (secret, alias, version, location) => void secretOf(secret, location).aliases.set(alias, Number(version)),
    deny: (secret, location) => void (secretOf(secret, location, true).denied = true),
    corrupt: (on) => void (corrupting = on),
    failWith(e, times = Infinity) {
      const page = `<!DOCTYPE html>\n<html lang=en><title>Error ${e?.code} (${e?.status})</title><p><b>${e?.code}.</b> <ins>That’s an error.</ins>`;
      failure = e === null ? null : e.html ? { status: e.code, body: null, html: page } : error(e.code, e.status, e.message ?? `fake: ${e.status}`);
      failures = e === null ? 0 : times;
    },
    oversize: (status) => void (oversizeStatus = status),
    hang(on) {
      hanging = on;
      if (!on) {
        for (const res of hung) res.destroy();
        hung.clear();
      }
    },
    get hanging() {
      return hung.size;
    },
    requests,
    close: () => server.close(),
  };
}
