/**
 * Server-side Signature Version 4 checks shared by the AWS fakes (Secrets Manager, STS). A request
 * is verified the way AWS does it (docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 * and …/signing-elements.html): the `Authorization` header is parsed, the credential scope's access
 * key id, date, region and service are checked, `x-amz-date` must be within 15 minutes, a session
 * key must come with its exact `x-amz-security-token`, and the request is signed again with
 * `@smithy/signature-v4` (the signer the SDK itself uses) over the headers the client listed, with
 * the payload hash computed from the received body. Any difference refuses the request.
 *
 * The result is a value naming what failed, so each fake answers with its own service's error code.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { createHash } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { constantTimeEqual } from '../../src/apikeys/hashing/constant-time-equal.js';

export interface AwsTestCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Present for temporary (session) credentials: the request must carry it as `x-amz-security-token`. */
  readonly sessionToken?: string;
  /** When temporary credentials stop working (ISO-8601); fakes refuse them afterwards. */
  readonly expiration?: string;
}

export type SigV4Failure =
  | 'missing' // no Authorization header
  | 'malformed' // not `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`
  | 'unknown_key' // the access key id is not one the fake knows
  | 'expired_key' // temporary credentials past their expiration
  | 'wrong_region'
  | 'wrong_service'
  | 'stale_date' // x-amz-date missing, malformed or more than 15 minutes off
  | 'bad_token' // x-amz-security-token missing, unexpected or different
  | 'bad_payload' // x-amz-content-sha256 is not the body's digest
  | 'bad_signature';

export type SigV4Check = { readonly ok: true; readonly credentials: AwsTestCredentials } | { readonly ok: false; readonly failure: SigV4Failure };

export interface SignedRequest {
  readonly method: string;
  /** Raw path (no query string for the JSON and query protocols the fakes speak). */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface SigV4Expectation {
  readonly service: string;
  readonly region: string;
  readonly lookup: (accessKeyId: string) => AwsTestCredentials | undefined;
}

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const SKEW_MS = 15 * 60 * 1000;
const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
};
const same = (a: string, b: string) => constantTimeEqual(Buffer.from(a), Buffer.from(b));

/** Verifies a SigV4-signed request; `ok` carries the credentials that signed it. */
export async function verifySigV4(req: SignedRequest, expect: SigV4Expectation): Promise<SigV4Check> {
  const authorization = header(req.headers, 'authorization');
  if (authorization === undefined) return { ok: false, failure: 'missing' };
  const m = AUTHORIZATION.exec(authorization);
  if (!m) return { ok: false, failure: 'malformed' };
  const [, accessKeyId = '', day = '', region, service, signedHeaders = ''] = m;
  const credentials = expect.lookup(accessKeyId);
  if (!credentials) return { ok: false, failure: 'unknown_key' };
  if (credentials.expiration !== undefined && Date.parse(credentials.expiration) <= Date.now()) return { ok: false, failure: 'expired_key' };
  if (region !== expect.region) return { ok: false, failure: 'wrong_region' };
  if (service !== expect.service) return { ok: false, failure: 'wrong_service' };

  const amzDate = AMZ_DATE.exec(header(req.headers, 'x-amz-date') ?? '');
  if (!amzDate) return { ok: false, failure: 'stale_date' };
  const [, y, mo, d, h, mi, s] = amzDate;
  const signingDate = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  if (Math.abs(signingDate.getTime() - Date.now()) > SKEW_MS || `${y}${mo}${d}` !== day) return { ok: false, failure: 'stale_date' };

  const token = header(req.headers, 'x-amz-security-token');
  if ((credentials.sessionToken === undefined) !== (token === undefined)) return { ok: false, failure: 'bad_token' };
  if (credentials.sessionToken !== undefined && !same(token ?? '', credentials.sessionToken)) return { ok: false, failure: 'bad_token' };

  const names = signedHeaders.split(';');
  const contentSha = header(req.headers, 'x-amz-content-sha256');
  if (contentSha !== undefined && contentSha !== createHash('sha256').update(req.body).digest('hex')) return { ok: false, failure: 'bad_payload' };
  // Sign again over exactly the listed headers; the signer adds x-amz-date, the token and (when the
  // client signed it) the payload digest itself, from the fake's own knowledge.
  const headers: Record<string, string> = {};
  for (const name of names) {
    if (name === 'x-amz-date' || name === 'x-amz-security-token' || name === 'x-amz-content-sha256') continue;
    const value = header(req.headers, name);
    if (value === undefined) return { ok: false, failure: 'bad_signature' };
    headers[name] = value;
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey: credentials.secretAccessKey, ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}) },
    region: expect.region,
    service: expect.service,
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: true,
    applyChecksum: names.includes('x-amz-content-sha256'),
  });
  const [hostname = '', port] = (header(req.headers, 'host') ?? '').split(':');
  const expected = await signer.sign(
    new HttpRequest({ method: req.method, protocol: 'http:', hostname, ...(port ? { port: Number(port) } : {}), path: req.path, headers, body: req.body }),
    { signingDate },
  );
  const recomputed = String(expected.headers['authorization'] ?? '');
  return same(recomputed, authorization) ? { ok: true, credentials } : { ok: false, failure: 'bad_signature' };
}

/** Temporary credentials as AWS issues them: `ASIA…` key id, a 40-character secret, a session token. */
export function temporaryCredentials(random: (bytes: number) => Buffer, lifetimeMs = 3600_000): Required<AwsTestCredentials> {
  return {
    accessKeyId: `ASIA${random(8).toString('hex').toUpperCase()}`,
    secretAccessKey: random(30).toString('base64'),
    sessionToken: `FwoG${random(48).toString('base64')}`,
    expiration: new Date(Date.now() + lifetimeMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  };
}
