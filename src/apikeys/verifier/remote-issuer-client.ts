/**
 * Asks a `remote` issuer whether a key is valid: `POST <url>` with `{"api_key": "…"}` and the
 * issuer's bearer token. 200 `{"valid": true, "consumer"?: "<username|custom_id|id>",
 * "expires_at"?: "<RFC 3339>"}` is valid; 200 with `valid: false`, 401, 403 or 404 is unknown;
 * anything else (timeouts included) is `unavailable` and is not cached.
 */
import { request } from '../../util/undici.js';
import type { IssuerConfig } from '../../config/schema.js';

export type RemoteAnswer =
  | { readonly kind: 'valid'; readonly consumer: string | null; readonly expiresAt: number | null }
  /** `refused`: the issuer answered 401, which may be about our token rather than the key. */
  | { readonly kind: 'unknown'; readonly refused?: boolean }
  | { readonly kind: 'unavailable'; readonly reason: string };

type RemoteIssuer = Extract<IssuerConfig, { type: 'remote' }>;

const MAX_ANSWER_BYTES = 64 * 1024;

export async function askRemoteIssuer(issuer: RemoteIssuer, key: string, token: string | undefined): Promise<RemoteAnswer> {
  try {
    const res = await request(issuer.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ api_key: key }),
      headersTimeout: issuer.timeout,
      bodyTimeout: issuer.timeout,
      signal: AbortSignal.timeout(issuer.timeout),
    });
    if ([401, 403, 404].includes(res.statusCode)) {
      await res.body.dump();
      return res.statusCode === 401 ? { kind: 'unknown', refused: true } : { kind: 'unknown' };
    }
    if (res.statusCode !== 200) {
      await res.body.dump();
      return { kind: 'unavailable', reason: `status ${res.statusCode}` };
    }
    const text = await readLimited(res.body);
    const answer = JSON.parse(text) as { valid?: unknown; consumer?: unknown; expires_at?: unknown };
    if (answer.valid !== true) return { kind: 'unknown' };
    const expiresMs = typeof answer.expires_at === 'string' ? Date.parse(answer.expires_at) : NaN;
    return {
      kind: 'valid',
      consumer: typeof answer.consumer === 'string' && answer.consumer.length <= 256 ? answer.consumer : null,
      expiresAt: Number.isFinite(expiresMs) ? expiresMs : null,
    };
  } catch (err) {
    return { kind: 'unavailable', reason: (err as Error).name === 'SyntaxError' ? 'invalid JSON answer' : (err as Error).message };
  }
}

async function readLimited(body: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) throw new Error('answer too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
