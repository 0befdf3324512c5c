/**
 * Checks an AWS Signature Version 4 on the receiving side, as an AWS service would: it parses the
 * `Authorization` header, checks the credential scope (access key id, date, region, service), the
 * `X-Amz-Content-Sha256` against the body received (unless `UNSIGNED-PAYLOAD`), the session token,
 * then signs again, with `@smithy/signature-v4` and the secret key, the request exactly as it
 * arrived (method, raw path, query, the headers listed in SignedHeaders) and compares.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SignatureV4 } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';

export interface SigV4Expectation {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly region: string;
  readonly service: string;
}

export interface ReceivedRequest {
  readonly method: string;
  /** Raw path and query, as received. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export type SigV4Verdict = { readonly ok: true; readonly signedHeaders: readonly string[] } | { readonly ok: false; readonly reason: string };

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

/** Verifies the signature of `req` against `expected` credentials and scope. */
export async function verifySigV4(req: ReceivedRequest, expected: SigV4Expectation): Promise<SigV4Verdict> {
  const authorization = req.headers.authorization;
  const match = typeof authorization === 'string' ? AUTH.exec(authorization) : null;
  if (match === null) return { ok: false, reason: 'no SigV4 Authorization header' };
  const [, keyId, day, region, service, signedList] = match as unknown as string[];
  if (keyId !== expected.accessKeyId) return { ok: false, reason: 'unknown access key id' };
  if (region !== expected.region || service !== expected.service) return { ok: false, reason: 'wrong credential scope' };
  const amzDate = req.headers['x-amz-date'];
  if (typeof amzDate !== 'string' || !/^\d{8}T\d{6}Z$/.test(amzDate) || amzDate.slice(0, 8) !== day) return { ok: false, reason: 'bad x-amz-date' };
  const signedAt = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  if (Math.abs(Date.now() - signedAt.getTime()) > 5 * 60_000) return { ok: false, reason: 'request time too skewed' };
  const token = req.headers['x-amz-security-token'];
  if ((expected.sessionToken ?? undefined) !== token) return { ok: false, reason: 'session token missing, unexpected or wrong' };
  const payloadHash = req.headers['x-amz-content-sha256'];
  if (typeof payloadHash !== 'string') return { ok: false, reason: 'no x-amz-content-sha256' };
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== createHash('sha256').update(req.body).digest('hex')) {
    return { ok: false, reason: 'payload hash does not match the body' };
  }

  const signedHeaders = signedList!.split(';');
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = req.headers[name];
    if (value === undefined) return { ok: false, reason: `signed header ${name} missing` };
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const q = req.url.indexOf('?');
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: expected.accessKeyId,
      secretAccessKey: expected.secretAccessKey,
      ...(expected.sessionToken ? { sessionToken: expected.sessionToken } : {}),
    },
    region: expected.region,
    service: expected.service,
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: expected.service !== 's3',
  });
  const again = await signer.sign(
    new HttpRequest({
      method: req.method,
      path: q === -1 ? req.url : req.url.slice(0, q),
      query: q === -1 ? {} : parseQuery(req.url.slice(q + 1)),
      headers,
    }),
    { signingDate: signedAt },
  );
  return again.headers['authorization'] === authorization ? { ok: true, signedHeaders } : { ok: false, reason: 'signature does not match' };
}

/** The query as AWS reads it: split on `&`, names and values percent-decoded, `+` literal. */
function parseQuery(query: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeURIComponent(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? '' : decodeURIComponent(part.slice(eq + 1));
    const prior = out[name];
    out[name] = prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [prior, value];
  }
  return out;
}
