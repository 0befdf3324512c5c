/**
 * A stand-in for AWS Secrets Manager's GetSecretValue, served over real HTTP(S) on 127.0.0.1 so the
 * official `@aws-sdk/client-secrets-manager` is what talks to it. Written from the API reference
 * (secretsmanager/latest/apireference: API_GetSecretValue, CommonErrors, CommonParameters), the
 * AWS JSON 1.1 protocol (smithy.io/2.0/aws/protocols/aws-json-1_1-protocol) and the probes in
 * /work/shared/research/secret-backends-wire.md §3:
 *
 * - `POST /` with `content-type: application/x-amz-json-1.1` exactly and `x-amz-target:
 *   secretsmanager.GetSecretValue`; anything else is refused (400 UnknownOperationException), so a
 *   protocol switch on an SDK upgrade (RPC v2 CBOR) fails loudly.
 * - Every request is SigV4-verified (./aws-sigv4.ts): the scope's access key, region and
 *   `secretsmanager`, a recent `x-amz-date`, `x-amz-security-token` exactly for session keys, and the
 *   signature itself re-computed with the fixture secret key.
 * - Body `{SecretId, VersionId?, VersionStage?}`; SecretId is a name or the secret's ARN. Without
 *   either version field the `AWSCURRENT` version is read. A reply is `{ARN, Name, VersionId,
 *   SecretString | SecretBinary (base64), VersionStages, CreatedDate (epoch seconds)}`.
 * - Versions move their staging labels as PutSecretValue does: a new value takes `AWSCURRENT`, the one
 *   it replaces takes `AWSPREVIOUS`, older ones keep no label.
 * - Errors are `{"__type": "<code>", "message": "…"}` with AWS's statuses: ResourceNotFoundException
 *   (missing secret, VersionId or label), InvalidRequestException (scheduled for deletion),
 *   InvalidParameterException, UnrecognizedClientException, InvalidSignatureException, …
 *
 * Scenario switches: `trust`/`distrust` credentials (rotation), `failNext` (any error code, any
 * status, counted), `corruptNext`, `hang` (requests wait until released or closed), `scheduleDeletion`. Tests
 * assert on the wire through `requests` (each with the SDK's attempt number).
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import { createRequestHold, readBody, startFakeServer } from './fake-server.js';
import { verifySigV4, type AwsTestCredentials, type SigV4Failure } from './aws-sigv4.js';

export interface SecretsManagerFakeOptions {
  /** The region requests must be signed for. Default `us-east-1`. */
  readonly region?: string;
  /** Credentials the fake accepts from the start (more with `trust`). */
  readonly credentials?: readonly AwsTestCredentials[];
  /** Serve HTTPS with this key and certificate (PEM). */
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer };
}

export interface SecretsManagerFakeRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** The SDK's attempt number from `amz-sdk-request: attempt=N; max=M` (0 when absent). */
  readonly attempt: number;
  /** The access key id that signed the request, once verified. */
  accessKeyId?: string;
}

export interface SecretsManagerFakeError {
  /** The `__type` (`ThrottlingException`, `InternalServiceError`, `AccessDeniedException` …). */
  readonly type: string;
  readonly status: number;
  readonly message?: string;
}

export interface SecretsManagerFake {
  readonly url: string;
  readonly region: string;
  /** Stores a new version of `name` (creating the secret) and returns its VersionId. */
  putSecretValue(name: string, value: string | Uint8Array): string;
  /** The secret's ARN (`arn:aws:secretsmanager:<region>:123456789012:secret:<name>-XXXXXX`). */
  arnOf(name: string): string;
  /** Marks the secret as scheduled for deletion: reads answer InvalidRequestException. */
  scheduleDeletion(name: string): void;
  trust(credentials: AwsTestCredentials): void;
  distrust(accessKeyId: string): void;
  /** Answers the next `times` authenticated GetSecretValue calls with this error. */
  failNext(error: SecretsManagerFakeError, times?: number): void;
  /** Breaks the next successful answer's JSON right where the secret value starts (a corrupted 200). */
  corruptNext(): void;
  /** Holds every request without an answer until called with false (or the fake closes). */
  hang(on: boolean): void;
  readonly requests: readonly SecretsManagerFakeRequest[];
  close(): Promise<void>;
}

interface Version {
  readonly id: string;
  readonly value: { readonly SecretString: string } | { readonly SecretBinary: string };
  readonly created: number;
  stages: string[];
}

interface Secret {
  readonly name: string;
  readonly arn: string;
  readonly versions: Map<string, Version>;
  deleted: boolean;
}

type Answer = { readonly status: number; readonly body: unknown };
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const ACCOUNT = '123456789012';
const fault = (status: number, type: string, message: string): Answer => ({ status, body: { __type: type, message } });

/** How Secrets Manager answers each SigV4 failure (CommonErrors; JSON-protocol services answer 400/403). */
const SIGV4_ERRORS: Record<SigV4Failure, Answer> = {
  missing: fault(400, 'MissingAuthenticationTokenException', 'Missing Authentication Token'),
  malformed: fault(400, 'IncompleteSignatureException', 'Authorization header requires Credential, SignedHeaders and Signature.'),
  unknown_key: fault(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.'),
  expired_key: fault(403, 'ExpiredTokenException', 'The security token included in the request is expired'),
  bad_token: fault(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.'),
  wrong_region: fault(400, 'InvalidSignatureException', 'Credential should be scoped to a valid region.'),
  wrong_service: fault(400, 'InvalidSignatureException', "Credential should be scoped to correct service: 'secretsmanager'."),
  stale_date: fault(400, 'InvalidSignatureException', 'Signature expired or x-amz-date is missing.'),
  bad_payload: fault(400, 'InvalidSignatureException', 'The provided x-amz-content-sha256 header does not match what was computed.'),
  bad_signature: fault(400, 'InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.'),
};

export async function startSecretsManagerFake(options: SecretsManagerFakeOptions = {}): Promise<SecretsManagerFake> {
  const region = options.region ?? 'us-east-1';
  const trusted = new Map<string, AwsTestCredentials>((options.credentials ?? []).map((c) => [c.accessKeyId, c]));
  const secrets = new Map<string, Secret>();
  const requests: SecretsManagerFakeRequest[] = [];
  let failures: { error: SecretsManagerFakeError; left: number } | null = null;
  let corrupt = false;
  const hold = createRequestHold();

  const find = (secretId: string): Secret | undefined => secrets.get(secretId) ?? [...secrets.values()].find((s) => s.arn === secretId);

  function put(name: string, value: string | Uint8Array): string {
    let secret = secrets.get(name);
    if (!secret) {
      const suffix = randomBytes(4).toString('base64url').replace(/[-_]/g, 'x').slice(0, 6);
      secret = { name, arn: `arn:aws:secretsmanager:${region}:${ACCOUNT}:secret:${name}-${suffix}`, versions: new Map(), deleted: false };
      secrets.set(name, secret);
    }
    for (const v of secret.versions.values()) {
      if (v.stages.includes('AWSCURRENT')) v.stages = ['AWSPREVIOUS'];
      else v.stages = v.stages.filter((s) => s !== 'AWSPREVIOUS');
    }
    const id = randomUUID();
    const stored = typeof value === 'string' ? { SecretString: value } : { SecretBinary: Buffer.from(value).toString('base64') };
    secret.versions.set(id, { id, value: stored, created: Date.now() / 1000, stages: ['AWSCURRENT'] });
    return id;
  }

  function getSecretValue(input: unknown): Answer {
    const { SecretId, VersionId, VersionStage } = (input ?? {}) as Record<string, unknown>;
    if (typeof SecretId !== 'string' || SecretId.length < 1 || SecretId.length > 2048)
      return fault(
        400,
        'ValidationException',
        "1 validation error detected: Value at 'secretId' failed to satisfy constraint: Member must have length between 1 and 2048",
      );
    if (VersionId !== undefined && (typeof VersionId !== 'string' || VersionId.length < 32 || VersionId.length > 64))
      return fault(400, 'InvalidParameterException', 'Invalid VersionId.');
    if (VersionStage !== undefined && (typeof VersionStage !== 'string' || VersionStage.length < 1 || VersionStage.length > 256))
      return fault(400, 'InvalidParameterException', 'Invalid VersionStage.');
    const secret = find(SecretId);
    if (!secret) return fault(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    if (secret.deleted) return fault(400, 'InvalidRequestException', "You can't perform this operation on the secret because it was marked for deletion.");
    const stage = VersionStage ?? (VersionId === undefined ? 'AWSCURRENT' : undefined);
    let version: Version | undefined;
    if (VersionId !== undefined) {
      version = secret.versions.get(VersionId);
      if (!version) return fault(400, 'ResourceNotFoundException', `Secrets Manager can't find the specified secret value for VersionId: ${VersionId}`);
      if (stage !== undefined && !version.stages.includes(stage))
        return fault(400, 'InvalidParameterException', 'The VersionStage does not belong to the specified VersionId.');
    } else {
      version = [...secret.versions.values()].find((v) => v.stages.includes(stage!));
      if (!version) return fault(400, 'ResourceNotFoundException', `Secrets Manager can't find the specified secret value for staging label: ${stage}`);
    }
    return {
      status: 200,
      body: { ARN: secret.arn, Name: secret.name, VersionId: version.id, ...version.value, VersionStages: version.stages, CreatedDate: version.created },
    };
  }

  async function route(req: IncomingMessage, text: string, record: SecretsManagerFakeRequest): Promise<Answer> {
    if (req.method !== 'POST' || record.path !== '/') return fault(404, 'UnknownOperationException', `No route for ${req.method} ${record.path}`);
    if (req.headers['content-type'] !== CONTENT_TYPE) return fault(400, 'UnknownOperationException', `content-type must be ${CONTENT_TYPE}`);
    if (req.headers['x-amz-target'] !== 'secretsmanager.GetSecretValue')
      return fault(400, 'UnknownOperationException', `This fake serves secretsmanager.GetSecretValue only, not ${req.headers['x-amz-target']}`);
    const check = await verifySigV4(
      { method: 'POST', path: record.path, headers: req.headers, body: text },
      { service: 'secretsmanager', region, lookup: (id) => trusted.get(id) },
    );
    if (!check.ok) return SIGV4_ERRORS[check.failure];
    record.accessKeyId = check.credentials.accessKeyId;
    let input: unknown;
    try {
      input = JSON.parse(text);
    } catch {
      return fault(400, 'SerializationException', 'Start of structure or map found where not expected.');
    }
    if (failures && failures.left > 0) {
      failures.left -= 1;
      const { type, status, message } = failures.error;
      return fault(status, type, message ?? `${type} (scenario)`);
    }
    return getSecretValue(input);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = (await readBody(req)).toString('utf8');
    const attempt = Number(/attempt=(\d+)/.exec(String(req.headers['amz-sdk-request'] ?? ''))?.[1] ?? 0);
    const record: SecretsManagerFakeRequest = { method: req.method ?? '', path: req.url ?? '/', headers: req.headers, body: text, attempt };
    requests.push(record);
    if (hold.active) await hold.wait();
    const answer = await route(req, text, record);
    if (res.destroyed) return;
    let body = JSON.stringify(answer.body);
    if (corrupt && answer.status === 200) {
      corrupt = false;
      body = body.replace(/"(SecretString|SecretBinary)":"/, '"$1":');
    }
    res.writeHead(answer.status, { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': randomUUID() }).end(body);
  }

  const server = await startFakeServer((req, res) => void handle(req, res), options.tls);

  return {
    url: server.url,
    region,
    putSecretValue: put,
    arnOf(name) {
      const secret = secrets.get(name);
      if (!secret) throw new Error(`the Secrets Manager fake has no secret ${name}`);
      return secret.arn;
    },
    scheduleDeletion(name) {
      const secret = secrets.get(name);
      if (secret) secret.deleted = true;
    },
    trust: (c) => void trusted.set(c.accessKeyId, c),
    distrust: (id) => void trusted.delete(id),
    failNext: (error, times = 1) => void (failures = { error, left: times }),
    corruptNext: () => void (corrupt = true),
    hang: (on) => hold.set(on),
    requests,
    close: () => {
      hold.set(false);
      return server.close();
    },
  };
}
