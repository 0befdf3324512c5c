/**
 * A stand-in for the places the AWS SDK's default credential chain gets credentials from over the
 * network, served over real HTTP on 127.0.0.1 (one server, routed on the raw method and path):
 *
 * - **Container credentials** (ECS task roles, EKS Pod Identity; docs.aws.amazon.com/sdkref/latest/guide/feature-container-credentials.html):
 *   `GET <containerPath>` answers `{AccessKeyId, SecretAccessKey, Token, Expiration, AccountId, RoleArn}`;
 *   with `containerToken` set, `Authorization` must be exactly that value (401 otherwise).
 * - **EC2 instance metadata, IMDSv2** (AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html,
 *   instance-metadata-security-credentials.html): `PUT /latest/api/token` with
 *   `x-aws-ec2-metadata-token-ttl-seconds` (1–21600) returns a session token; reads under
 *   `/latest/meta-data/iam/security-credentials/` need it in `x-aws-ec2-metadata-token` (401 without,
 *   as an instance with `HttpTokens: required` answers) and return the role name, then
 *   `{Code: "Success", LastUpdated, Type: "AWS-HMAC", AccessKeyId, SecretAccessKey, Token, Expiration}`.
 *   A `PUT` carrying `X-Forwarded-For` is refused (403), as IMDS does.
 * - **STS** (STS/latest/APIReference: API_AssumeRole, API_AssumeRoleWithWebIdentity, CommonErrors):
 *   `POST /`, `application/x-www-form-urlencoded`, `Action=…&Version=2011-06-15`. AssumeRole must be
 *   SigV4-signed for service `sts` and the fake's region by credentials it trusts (./aws-sigv4.ts);
 *   AssumeRoleWithWebIdentity must be unsigned and carry the configured `WebIdentityToken`. Replies
 *   are the XML documents of the API reference, errors `<ErrorResponse><Error><Type/><Code/><Message/>`.
 * - **IAM Identity Center (SSO) portal** (singlesignon/latest/PortalAPIReference/API_GetRoleCredentials):
 *   `GET /federation/credentials?account_id=…&role_name=…` with `x-amz-sso_bearer_token` equal to the
 *   configured access token answers `{roleCredentials: {accessKeyId, secretAccessKey, sessionToken,
 *   expiration (epoch ms)}}`; otherwise 401 `UnauthorizedException`.
 *
 * Every source issues fresh temporary credentials and reports them through `onIssue` (tests pass the
 * Secrets Manager fake's `trust`), so a read that succeeds proves the SDK used what this source gave.
 * Scenario switches: `garbage` (a source answers 200 with a broken body around `garbageMarker`),
 * `refuseAssumeRole`, `acceptWebIdentityToken`. `requests` and `issued` log the wire.
 */
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { constantTimeEqual } from '../../src/apikeys/hashing/constant-time-equal.js';
import { readBody, startFakeServer } from './fake-server.js';
import { temporaryCredentials, verifySigV4, type AwsTestCredentials, type SigV4Failure } from './aws-sigv4.js';

export type CredentialSource = 'container' | 'imds' | 'sts' | 'web-identity' | 'sso';

export interface AwsCredentialsFakeOptions {
  /** Region STS requests must be signed for. Default `us-east-1`. */
  readonly region?: string;
  /** Credentials STS accepts for AssumeRole (more with `trustForSts`). */
  readonly stsCallers?: readonly AwsTestCredentials[];
  /** Path of the container endpoint. Default `/v2/credentials/portcullis-task`. */
  readonly containerPath?: string;
  /** The `Authorization` value the container endpoint requires (unset: none required). */
  readonly containerToken?: string;
  /** The instance profile's role name. Default `portcullis-instance-role`. */
  readonly imdsRole?: string;
  /** The web identity token AssumeRoleWithWebIdentity accepts. */
  readonly webIdentityToken?: string;
  /** The SSO access token the portal accepts, and the account and role it serves. */
  readonly sso?: { readonly accessToken: string; readonly accountId: string; readonly roleName: string };
  /** Called with every credential issued, e.g. the Secrets Manager fake's `trust`. */
  readonly onIssue?: (credentials: AwsTestCredentials) => void;
}

export interface AwsCredentialsFakeRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface AwsCredentialsFake {
  readonly url: string;
  /** The full container URL (`AWS_CONTAINER_CREDENTIALS_FULL_URI`). */
  readonly containerUrl: string;
  readonly requests: readonly AwsCredentialsFakeRequest[];
  /** Credentials handed out, by source, oldest first. */
  readonly issued: readonly { readonly source: CredentialSource; readonly credentials: AwsTestCredentials; readonly detail: Record<string, string> }[];
  trustForSts(credentials: AwsTestCredentials): void;
  /** Makes `source` answer 200 with a broken body whose syntax error sits at `garbageMarker`. */
  garbage(source: CredentialSource | null): void;
  /** Text inside every garbage body (`GARBAGE…`): no part of it may reach an error message or a log. */
  readonly garbageMarker: string;
  /** Makes AssumeRole answer 403 AccessDenied. */
  refuseAssumeRole(on: boolean): void;
  /** Replaces the web identity token AssumeRoleWithWebIdentity accepts (a rotated projected token). */
  acceptWebIdentityToken(token: string): void;
  close(): Promise<void>;
}

type Answer = { readonly status: number; readonly type: string; readonly body: string; readonly headers?: Record<string, string> };
const json = (status: number, body: unknown, headers?: Record<string, string>): Answer => ({
  status,
  type: 'application/json',
  body: JSON.stringify(body),
  ...(headers ? { headers } : {}),
});
const text = (status: number, body: string): Answer => ({ status, type: 'text/plain', body });
const xml = (status: number, body: string): Answer => ({ status, type: 'text/xml', body });
const same = (a: string, b: string) => constantTimeEqual(Buffer.from(a), Buffer.from(b));
const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

function stsError(status: number, code: string, message: string): Answer {
  return xml(
    status,
    `<ErrorResponse xmlns="${STS_NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  );
}

/** STS's answer to each SigV4 failure (STS CommonErrors: 403 for authentication failures). */
const STS_SIGV4_ERRORS: Record<SigV4Failure, Answer> = {
  missing: stsError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token'),
  malformed: stsError(400, 'IncompleteSignature', 'Request must contain a signature that conforms to AWS standards'),
  unknown_key: stsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.'),
  expired_key: stsError(403, 'ExpiredToken', 'The security token included in the request is expired'),
  bad_token: stsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.'),
  wrong_region: stsError(403, 'SignatureDoesNotMatch', 'Credential should be scoped to a valid region.'),
  wrong_service: stsError(403, 'SignatureDoesNotMatch', "Credential should be scoped to correct service: 'sts'."),
  stale_date: stsError(403, 'SignatureDoesNotMatch', 'Signature expired.'),
  bad_payload: stsError(403, 'SignatureDoesNotMatch', 'The payload hash does not match.'),
  bad_signature: stsError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'),
};

export async function startAwsCredentialsFake(options: AwsCredentialsFakeOptions = {}): Promise<AwsCredentialsFake> {
  const region = options.region ?? 'us-east-1';
  const containerPath = options.containerPath ?? '/v2/credentials/portcullis-task';
  const imdsRole = options.imdsRole ?? 'portcullis-instance-role';
  const stsCallers = new Map<string, AwsTestCredentials>((options.stsCallers ?? []).map((c) => [c.accessKeyId, c]));
  const imdsTokens = new Map<string, number>();
  const requests: AwsCredentialsFakeRequest[] = [];
  const issued: { source: CredentialSource; credentials: AwsTestCredentials; detail: Record<string, string> }[] = [];
  const garbageMarker = `GARBAGE${randomBytes(12).toString('hex')}`;
  let garbageSource: CredentialSource | null = null;
  let refuseAssume = false;
  let webIdentityToken = options.webIdentityToken;

  function issue(source: CredentialSource, detail: Record<string, string> = {}): Required<AwsTestCredentials> {
    const credentials = temporaryCredentials(randomBytes);
    issued.push({ source, credentials, detail });
    options.onIssue?.(credentials);
    return credentials;
  }
  /**
   * A 200 whose body is not JSON (nor XML) right where the marker starts: a JSON parser's error
   * message quotes the text around that position, as it would quote a real secret access key.
   */
  const garbage = (type: string): Answer => ({ status: 200, type, body: `{"AccessKeyId":"ASIAGARBAGE","SecretAccessKey":${garbageMarker}}` });

  function container(headers: IncomingHttpHeaders): Answer {
    const presented = headers.authorization;
    if (options.containerToken !== undefined && (presented === undefined || !same(presented, options.containerToken)))
      return json(401, { Code: 'AccessDenied', Message: 'Authorization header does not match the expected token' });
    if (garbageSource === 'container') return garbage('application/json');
    const c = issue('container');
    return json(200, {
      AccessKeyId: c.accessKeyId,
      SecretAccessKey: c.secretAccessKey,
      Token: c.sessionToken,
      Expiration: c.expiration,
      AccountId: '123456789012',
      RoleArn: 'arn:aws:iam::123456789012:role/portcullis-task',
    });
  }

  function imds(method: string, path: string, headers: IncomingHttpHeaders): Answer {
    if (path === '/latest/api/token') {
      if (method !== 'PUT') return text(405, '');
      if (headers['x-forwarded-for'] !== undefined) return text(403, '');
      const ttl = Number(headers['x-aws-ec2-metadata-token-ttl-seconds']);
      if (!Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return text(400, '');
      const token = randomBytes(32).toString('base64');
      imdsTokens.set(token, Date.now() + ttl * 1000);
      return { ...text(200, token), headers: { 'x-aws-ec2-metadata-token-ttl-seconds': String(ttl) } };
    }
    if (method !== 'GET') return text(405, '');
    const token = headers['x-aws-ec2-metadata-token'];
    const expires = typeof token === 'string' ? imdsTokens.get(token) : undefined;
    if (expires === undefined || expires <= Date.now()) return text(401, '');
    const prefix = '/latest/meta-data/iam/security-credentials/';
    const role = path.slice(prefix.length);
    if (role === '') return text(200, imdsRole);
    if (role !== imdsRole) return text(404, '');
    if (garbageSource === 'imds') return garbage('text/plain');
    const c = issue('imds', { role });
    const at = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    return text(
      200,
      JSON.stringify({
        Code: 'Success',
        LastUpdated: at,
        Type: 'AWS-HMAC',
        AccessKeyId: c.accessKeyId,
        SecretAccessKey: c.secretAccessKey,
        Token: c.sessionToken,
        Expiration: c.expiration,
      }),
    );
  }

  function stsCredentialsXml(action: string, c: Required<AwsTestCredentials>, roleArn: string, sessionName: string, extra = ''): Answer {
    const roleName = roleArn.slice(roleArn.lastIndexOf('/') + 1);
    const account = /::(\d{12}):/.exec(roleArn)?.[1] ?? '123456789012';
    return xml(
      200,
      `<${action}Response xmlns="${STS_NS}"><${action}Result>${extra}<AssumedRoleUser><AssumedRoleId>AROA${randomBytes(8).toString('hex').toUpperCase()}:${escapeXml(sessionName)}</AssumedRoleId>` +
        `<Arn>arn:aws:sts::${account}:assumed-role/${escapeXml(roleName)}/${escapeXml(sessionName)}</Arn></AssumedRoleUser>` +
        `<Credentials><AccessKeyId>${c.accessKeyId}</AccessKeyId><SecretAccessKey>${escapeXml(c.secretAccessKey)}</SecretAccessKey>` +
        `<SessionToken>${escapeXml(c.sessionToken)}</SessionToken><Expiration>${c.expiration}</Expiration></Credentials>` +
        `</${action}Result><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></${action}Response>`,
    );
  }

  async function sts(req: IncomingMessage, body: string): Promise<Answer> {
    if (req.headers['content-type']?.split(';')[0]?.trim() !== 'application/x-www-form-urlencoded')
      return stsError(400, 'InvalidAction', 'STS takes application/x-www-form-urlencoded bodies');
    const form = new URLSearchParams(body);
    if (form.get('Version') !== '2011-06-15') return stsError(400, 'InvalidAction', 'Could not find operation for this Version');
    const roleArn = form.get('RoleArn') ?? '';
    const sessionName = form.get('RoleSessionName') ?? '';
    if (!ROLE_ARN.test(roleArn))
      return stsError(400, 'ValidationError', `1 validation error detected: Value '${roleArn}' at 'roleArn' failed to satisfy constraint`);
    if (!SESSION_NAME.test(sessionName)) return stsError(400, 'ValidationError', "Value at 'roleSessionName' failed to satisfy constraint");
    const duration = form.get('DurationSeconds');
    if (duration !== null && !(Number(duration) >= 900 && Number(duration) <= 43200))
      return stsError(400, 'ValidationError', "Value at 'durationSeconds' failed to satisfy constraint");
    switch (form.get('Action')) {
      case 'AssumeRole': {
        const check = await verifySigV4(
          { method: 'POST', path: req.url ?? '/', headers: req.headers, body },
          { service: 'sts', region, lookup: (id) => stsCallers.get(id) },
        );
        if (!check.ok) return STS_SIGV4_ERRORS[check.failure];
        if (refuseAssume) return stsError(403, 'AccessDenied', `User is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
        if (garbageSource === 'sts') return garbage('text/xml');
        const c = issue('sts', { roleArn, sessionName, caller: check.credentials.accessKeyId });
        return stsCredentialsXml('AssumeRole', c, roleArn, sessionName);
      }
      case 'AssumeRoleWithWebIdentity': {
        if (req.headers.authorization !== undefined) return stsError(400, 'InvalidAction', 'AssumeRoleWithWebIdentity is called without AWS credentials');
        const token = form.get('WebIdentityToken') ?? '';
        if (webIdentityToken === undefined || !same(token, webIdentityToken))
          return stsError(400, 'InvalidIdentityToken', "Couldn't retrieve verification key from your identity provider");
        if (garbageSource === 'web-identity') return garbage('text/xml');
        const c = issue('web-identity', { roleArn, sessionName });
        return stsCredentialsXml(
          'AssumeRoleWithWebIdentity',
          c,
          roleArn,
          sessionName,
          `<SubjectFromWebIdentityToken>system:serviceaccount:default:portcullis</SubjectFromWebIdentityToken><Audience>sts.amazonaws.com</Audience>`,
        );
      }
      default:
        return stsError(400, 'InvalidAction', `Could not find operation ${form.get('Action')} for version 2011-06-15`);
    }
  }

  function sso(query: URLSearchParams, headers: IncomingHttpHeaders): Answer {
    const unauthorized = json(401, { message: 'Session token not found or invalid' }, { 'x-amzn-errortype': 'UnauthorizedException' });
    const token = headers['x-amz-sso_bearer_token'];
    if (!options.sso || typeof token !== 'string' || !same(token, options.sso.accessToken)) return unauthorized;
    if (query.get('account_id') !== options.sso.accountId || query.get('role_name') !== options.sso.roleName)
      return json(403, { message: 'No access' }, { 'x-amzn-errortype': 'ForbiddenException' });
    if (garbageSource === 'sso') return garbage('application/json');
    const c = issue('sso', { accountId: options.sso.accountId, roleName: options.sso.roleName });
    return json(200, {
      roleCredentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken, expiration: Date.parse(c.expiration) },
    });
  }

  async function route(req: IncomingMessage, body: string): Promise<Answer> {
    const raw = req.url ?? '/';
    const at = raw.indexOf('?');
    const path = at === -1 ? raw : raw.slice(0, at);
    const query = new URLSearchParams(at === -1 ? '' : raw.slice(at + 1));
    const method = req.method ?? '';
    if (method === 'GET' && path === containerPath) return container(req.headers);
    if (path === '/latest/api/token' || path.startsWith('/latest/meta-data/iam/security-credentials/')) return imds(method, path, req.headers);
    if (method === 'POST' && path === '/') return sts(req, body);
    if (method === 'GET' && path === '/federation/credentials') return sso(query, req.headers);
    return json(404, { message: `the AWS credentials fake has no route for ${method} ${path}` });
  }

  const server = await startFakeServer((req, res) => {
    void (async () => {
      const body = (await readBody(req)).toString('utf8');
      requests.push({ method: req.method ?? '', path: req.url ?? '/', headers: req.headers, body });
      const answer = await route(req, body);
      if (!res.destroyed) res.writeHead(answer.status, { 'content-type': answer.type, ...answer.headers }).end(answer.body);
    })();
  });
  const url = server.url;

  return {
    url,
    containerUrl: `${url}${containerPath}`,
    requests,
    issued,
    trustForSts: (c) => void stsCallers.set(c.accessKeyId, c),
    garbage: (source) => void (garbageSource = source),
    garbageMarker,
    refuseAssumeRole: (on) => void (refuseAssume = on),
    acceptWebIdentityToken: (token) => void (webIdentityToken = token),
    close: () => server.close(),
  };
}
