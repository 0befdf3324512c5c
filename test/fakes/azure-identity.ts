/**
 * A stand-in for Microsoft Entra ID (the token side of Azure) and for the managed-identity
 * endpoints, served over HTTPS on 127.0.0.1 with the TEST-ONLY localhost leaf, so the real
 * `@azure/identity` 4.13 / `@azure/msal-node` 5 credentials are what talk to it. Written from:
 * - Microsoft identity platform: "OpenID Connect on the Microsoft identity platform" (the
 *   `/{tenant}/v2.0/.well-known/openid-configuration` document) and "OAuth 2.0 client credentials
 *   flow" (`POST /{tenant}/oauth2/v2.0/token`, form body `client_id`, `scope` = `<resource>/.default`,
 *   `client_secret`, `grant_type=client_credentials`; errors `{error, error_description: "AADSTS…",
 *   error_codes, timestamp, trace_id, correlation_id}`: 401 `invalid_client` AADSTS7000215 for a wrong
 *   secret, 400 `unauthorized_client` AADSTS700016 for an unknown app, 400 `invalid_tenant`
 *   AADSTS90002 for an unknown tenant, 400 `invalid_scope` AADSTS1002012);
 * - "How to use managed identities for App Service": `GET {IDENTITY_ENDPOINT}?api-version=2019-08-01
 *   &resource=…[&client_id=…]` with `X-IDENTITY-HEADER: {IDENTITY_HEADER}`, reply `{access_token,
 *   expires_on: "<epoch s>", resource, token_type, client_id}`;
 * - "How to use managed identities on an Azure VM to acquire an access token" (IMDS):
 *   `GET /metadata/identity/oauth2/token?api-version=2018-02-01&resource=…[&client_id=…]` with
 *   `Metadata: true` (400 `invalid_request` "Required metadata header not specified" without it,
 *   400 "Identity not found" for an unknown user-assigned identity). MSAL canonicalises the URL
 *   with a trailing slash; IMDS answers both spellings of that one path, nothing else.
 * - /work/shared/research/secret-backends-wire.md §5 (what the clients send, probed).
 *
 * Tokens are opaque random strings (clients never parse them); `introspect` tells the Key Vault
 * fake who a token was issued to (tenant, app, audience) and whether it is still valid, as a real
 * vault would learn from the JWT's `tid`, `appid`, `aud` and `exp` claims.
 *
 * Scenario switches: `hang`, `failTokenRequests` (a status for every token call), `revokeTokens`,
 * `tokenLifetimeSeconds`; `requests` logs every call (the form body's client_secret is replaced).
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { constantTimeEqual } from '../../src/apikeys/hashing/constant-time-equal.js';
import { LOCALHOST_TLS } from '../support/tls-fixtures.js';
import { readBody, startFakeServer } from './fake-server.js';

/** An app registration with a client secret (a service principal) in a tenant. */
export interface AzureApp {
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** The identities a managed-identity endpoint (App Service or IMDS) hands out tokens for. */
export interface AzureManagedIdentities {
  readonly tenantId: string;
  /** The system-assigned identity's client id (used when a request names none). */
  readonly systemAssignedClientId: string;
  /** User-assigned identities' client ids, picked by `client_id=`. */
  readonly userAssignedClientIds?: readonly string[];
  /** The App Service `IDENTITY_HEADER` secret every App Service call must carry. */
  readonly identityHeader: string;
}

export interface AzureIdentityFakeOptions {
  readonly apps?: readonly AzureApp[];
  readonly managedIdentities?: AzureManagedIdentities;
}

export interface IssuedToken {
  readonly tenantId: string;
  /** The app (client id) or managed identity the token was issued to. */
  readonly clientId: string;
  /** The resource (`aud`), without `/.default`. */
  readonly audience: string;
  readonly via: 'client_credentials' | 'app_service' | 'imds';
  readonly expiresAt: number;
}

export interface AzureIdentityFakeRequest {
  readonly method: string;
  /** Raw path and query, as sent. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The body as sent, with the value of `client_secret` replaced by `[client_secret]`. */
  readonly body: string;
}

export interface AzureIdentityFake {
  /** The authority host (`https://127.0.0.1:<port>`), i.e. the backend's `authority_host`. */
  readonly url: string;
  /** The value for `IDENTITY_ENDPOINT` (App Service managed identity). */
  readonly appServiceEndpoint: string;
  /** The value for `AZURE_POD_IDENTITY_AUTHORITY_HOST` (IMDS at a non-default address). */
  readonly imdsHost: string;
  /** Who a token was issued to, or null when this fake did not issue it, it was revoked or it expired. */
  introspect(token: string): IssuedToken | null;
  /** Every token handed out so far, in order. */
  readonly issued: readonly string[];
  /** Makes every token issued so far invalid (as a revoked session or a rotated signing key). */
  revokeTokens(): void;
  /** Lifetime of new tokens; default 3600. */
  tokenLifetimeSeconds(seconds: number): void;
  /** Answers every token request (all three kinds) with this status (5xx: `temporarily_unavailable`) until called with null. */
  failTokenRequests(status: number | null): void;
  /** Requests hang (never answered) until called with false. */
  hang(on: boolean): void;
  readonly requests: readonly AzureIdentityFakeRequest[];
  close(): Promise<void>;
}

type Answer = { readonly status: number; readonly body: unknown };

/**
 * Where the Azure SDK reads `process.env` on its own (managed-identity source detection, regional
 * authority, multi-tenant switch, logging): clears every such variable the test process inherited
 * (`AZURE_*`, `IDENTITY_*`, `MSI_*`, `IMDS_ENDPOINT`) and sets `variables`, so nothing reaches a real
 * identity endpoint or a developer's setup. Managed identity picks its source once per process: a test
 * file that needs another source is another process.
 */
export function sealAzureEnvironment(variables: Readonly<Record<string, string>> = {}): void {
  for (const name of Object.keys(process.env)) {
    if (/^(AZURE_|IDENTITY_|MSI_)/.test(name) || name === 'IMDS_ENDPOINT') delete process.env[name];
  }
  Object.assign(process.env, variables);
}

const IMDS_PATH = '/metadata/identity/oauth2/token';
const APP_SERVICE_PATH = '/msi/token/';

export async function startAzureIdentityFake(options: AzureIdentityFakeOptions = {}): Promise<AzureIdentityFake> {
  const apps = options.apps ?? [];
  const mi = options.managedIdentities;
  const tokens = new Map<string, IssuedToken>();
  const issued: string[] = [];
  const requests: AzureIdentityFakeRequest[] = [];
  let lifetime = 3600;
  let failStatus: number | null = null;
  let hanging = false;
  let url = '';

  function issue(grant: Omit<IssuedToken, 'expiresAt'>): { token: string; expiresIn: number } {
    const token = `fake-entra.${randomBytes(24).toString('base64url')}`;
    tokens.set(token, { ...grant, expiresAt: Date.now() + lifetime * 1000 });
    issued.push(token);
    return { token, expiresIn: lifetime };
  }

  const aadError = (status: number, error: string, code: number, description: string): Answer => ({
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
      error_codes: [code],
      timestamp: new Date()
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, 'Z'),
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
      error_uri: `${url}/error?code=${code}`,
    },
  });
  const forcedFailure = (status: number): Answer =>
    status >= 500
      ? aadError(status, 'temporarily_unavailable', 50012, 'The service is temporarily unavailable.')
      : aadError(status, 'invalid_request', 90000, 'Refused by the test.');

  const knownTenant = (tenant: string) => apps.some((a) => a.tenantId === tenant) || mi?.tenantId === tenant;

  function openIdConfiguration(tenant: string): Answer {
    if (!knownTenant(tenant)) return aadError(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found.`);
    const base = `${url}/${tenant}`;
    return {
      status: 200,
      body: {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${url}/${tenant}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${base}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${url}/oidc/userinfo`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nonce', 'tid'],
        kerberos_endpoint: `${base}/kerberos`,
        tenant_region_scope: 'EU',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
        rbac_url: 'https://pas.windows.net',
      },
    };
  }

  function clientCredentials(tenant: string, headers: IncomingHttpHeaders, form: URLSearchParams): Answer {
    if (!/^application\/x-www-form-urlencoded\b/.test(headers['content-type'] ?? '')) {
      return aadError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
    }
    if (!knownTenant(tenant)) return aadError(400, 'invalid_tenant', 90002, `Tenant '${tenant}' not found.`);
    if (form.get('grant_type') !== 'client_credentials') {
      return aadError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    }
    const clientId = form.get('client_id') ?? '';
    const app = apps.find((a) => a.tenantId === tenant && a.clientId === clientId);
    if (!app) {
      return aadError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`);
    }
    const secret = form.get('client_secret') ?? '';
    if (!constantTimeEqual(Buffer.from(secret), Buffer.from(app.clientSecret))) {
      return aadError(
        401,
        'invalid_client',
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      );
    }
    // The client credentials flow takes exactly one scope, `<resource>/.default`.
    const scopes = (form.get('scope') ?? '').split(' ').filter((s) => s.endsWith('/.default'));
    if (scopes.length !== 1) {
      return aadError(
        400,
        'invalid_scope',
        1002012,
        `The provided value for scope ${form.get('scope')} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
      );
    }
    const { token, expiresIn } = issue({ tenantId: tenant, clientId, audience: scopes[0]!.slice(0, -'/.default'.length), via: 'client_credentials' });
    return { status: 200, body: { token_type: 'Bearer', expires_in: expiresIn, ext_expires_in: expiresIn, access_token: token } };
  }

  /** What both managed-identity endpoints share: the resource and which identity. */
  function managedIdentityToken(query: URLSearchParams, via: 'app_service' | 'imds'): Answer {
    const badRequest = (description: string): Answer => ({ status: 400, body: { error: 'invalid_request', error_description: description } });
    if (!mi) return badRequest('Identity not found');
    const resource = query.get('resource');
    if (!resource) return badRequest('Required audience parameter not specified');
    const requested = query.get('client_id');
    if (requested !== null && !(mi.userAssignedClientIds ?? []).includes(requested)) return badRequest('Identity not found');
    const clientId = requested ?? mi.systemAssignedClientId;
    const { token, expiresIn } = issue({ tenantId: mi.tenantId, clientId, audience: resource.replace(/\/$/, ''), via });
    const expiresOn = String(Math.floor(Date.now() / 1000) + expiresIn);
    const common = { access_token: token, expires_on: expiresOn, resource, token_type: 'Bearer', client_id: clientId };
    return {
      status: 200,
      body:
        via === 'imds'
          ? {
              ...common,
              refresh_token: '',
              expires_in: String(expiresIn),
              ext_expires_in: String(expiresIn),
              not_before: String(Math.floor(Date.now() / 1000)),
            }
          : common,
    };
  }

  function appService(headers: IncomingHttpHeaders, query: URLSearchParams): Answer {
    const presented = headers['x-identity-header'];
    if (!mi || typeof presented !== 'string' || !constantTimeEqual(Buffer.from(presented), Buffer.from(mi.identityHeader))) {
      return { status: 401, body: { statusCode: 401, message: 'Unauthorized. The X-IDENTITY-HEADER is missing or wrong.' } };
    }
    if (query.get('api-version') !== '2019-08-01') return { status: 400, body: { error: 'invalid_request', error_description: 'The api-version is invalid.' } };
    return managedIdentityToken(query, 'app_service');
  }

  function imds(headers: IncomingHttpHeaders, query: URLSearchParams): Answer {
    if (headers['metadata'] !== 'true') return { status: 400, body: { error: 'invalid_request', error_description: 'Required metadata header not specified' } };
    // IMDS refuses anything that looks proxied.
    if (headers['x-forwarded-for'] !== undefined)
      return { status: 400, body: { error: 'invalid_request', error_description: 'Request must not contain X-Forwarded-For' } };
    if (query.get('api-version') === null)
      return { status: 400, body: { error: 'invalid_request', error_description: 'Required api-version parameter not specified' } };
    return managedIdentityToken(query, 'imds');
  }

  function route(method: string, path: string, query: URLSearchParams, headers: IncomingHttpHeaders, body: string): Answer {
    const notFound: Answer = { status: 404, body: { error: 'not_found', error_description: `no such endpoint: ${method} ${path}` } };
    const isTokenCall =
      method === 'POST' ? /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(path) : path === APP_SERVICE_PATH || path === IMDS_PATH || path === `${IMDS_PATH}/`;
    if (isTokenCall && failStatus !== null) return forcedFailure(failStatus);
    let m: RegExpExecArray | null;
    if (method === 'GET' && (m = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path))) return openIdConfiguration(decodeURIComponent(m[1]!));
    if (method === 'POST' && (m = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path)))
      return clientCredentials(decodeURIComponent(m[1]!), headers, new URLSearchParams(body));
    if (method === 'GET' && path === APP_SERVICE_PATH) return appService(headers, query);
    if (method === 'GET' && (path === IMDS_PATH || path === `${IMDS_PATH}/`)) return imds(headers, query);
    return notFound;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = (await readBody(req)).toString('utf8');
    const rawUrl = req.url ?? '/';
    const method = req.method ?? 'GET';
    requests.push({ method, path: rawUrl, headers: req.headers, body: body.replace(/(^|&)client_secret=[^&]*/, '$1client_secret=[client_secret]') });
    if (hanging) return; // answered never; close() destroys the socket
    const queryAt = rawUrl.indexOf('?');
    const path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    let answer: Answer;
    try {
      answer = route(method, path, new URLSearchParams(queryAt === -1 ? '' : rawUrl.slice(queryAt + 1)), req.headers, body);
    } catch {
      answer = aadError(400, 'invalid_request', 900023, 'The request is malformed.'); // e.g. a bad percent-escape in the tenant
    }
    res
      .writeHead(answer.status, {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store, no-cache',
        'x-ms-request-id': randomUUID(),
      })
      .end(JSON.stringify(answer.body));
  }

  const server = await startFakeServer((req, res) => void handle(req, res), LOCALHOST_TLS);
  url = server.url;

  return {
    url,
    appServiceEndpoint: `${url}${APP_SERVICE_PATH}`,
    imdsHost: url,
    introspect(token) {
      const grant = tokens.get(token);
      return grant && grant.expiresAt > Date.now() ? grant : null;
    },
    issued,
    revokeTokens: () => tokens.clear(),
    tokenLifetimeSeconds: (seconds) => void (lifetime = seconds),
    failTokenRequests: (status) => void (failStatus = status),
    hang: (on) => void (hanging = on),
    requests,
    close: () => server.close(),
  };
}
