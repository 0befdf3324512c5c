/**
 * One OAuth 2.0 client-credentials token request (RFC 6749 §4.4) with undici: a form POST with
 * `grant_type=client_credentials` (and `scope`, `audience`), the client authenticated by HTTP Basic
 * (§2.3.1: id and secret form-encoded first) or by `client_id`/`client_secret` in the body. The
 * answer is read up to a size cap, within a deadline, redirects are not followed, and every
 * failure is a value whose fields are safe to log: a status, the OAuth `error` code (§5.2), a
 * reason — never the secret, the token or the body.
 */
import type { Dispatcher } from 'undici';
import { request } from '../../util/undici.js';

export interface TokenRequest {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scopes: readonly string[];
  readonly audience: string | undefined;
  readonly authMethod: 'client_secret_basic' | 'client_secret_post';
}

export type TokenAnswer =
  /** `expiresIn` in seconds, when the endpoint said. */
  | { readonly kind: 'ok'; readonly accessToken: string; readonly expiresIn: number | undefined }
  | {
      readonly kind: 'failed';
      readonly reason: 'unreachable' | 'timeout' | 'refused' | 'unavailable' | 'malformed' | 'too_large';
      readonly status?: number;
      /** The endpoint's OAuth error code (`invalid_client` …), when it gave a well-formed one. */
      readonly error?: string;
    };

/** A token answer is a few kilobytes (a JWT with many claims); this bounds what a hostile endpoint can make us read. */
export const MAX_TOKEN_RESPONSE_BYTES = 256 * 1024;
/** An access token longer than this is refused (it would go into every upstream request). */
const MAX_TOKEN_LENGTH = 16 * 1024;
/** RFC 6749 §5.2: `error` is %x20-21 / %x23-5B / %x5D-7E. */
const OAUTH_ERROR = /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,64}$/;
/** What a header can carry without quoting: visible ASCII (RFC 6750's b64token fits). */
const TOKEN_CHARS = /^[\x21-\x7e]+$/;

/** Asks `tokenUrl` for a token; never throws. */
export async function requestToken(token: TokenRequest, options: { readonly dispatcher: Dispatcher; readonly timeoutMs: number }): Promise<TokenAnswer> {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (token.scopes.length > 0) form.set('scope', token.scopes.join(' '));
  if (token.audience !== undefined) form.set('audience', token.audience);
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
  if (token.authMethod === 'client_secret_basic') {
    headers['authorization'] = `Basic ${Buffer.from(`${formEncode(token.clientId)}:${formEncode(token.clientSecret)}`, 'utf8').toString('base64')}`;
  } else {
    form.set('client_id', token.clientId);
    form.set('client_secret', token.clientSecret);
  }

  let response: Dispatcher.ResponseData;
  try {
    response = await request(token.tokenUrl, {
      method: 'POST',
      dispatcher: options.dispatcher,
      headers,
      body: form.toString(),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (err) {
    return { kind: 'failed', reason: isTimeout(err) ? 'timeout' : 'unreachable' };
  }

  const { statusCode: status } = response;
  let body: Buffer | null;
  try {
    body = await readCapped(response, MAX_TOKEN_RESPONSE_BYTES);
  } catch (err) {
    return { kind: 'failed', reason: isTimeout(err) ? 'timeout' : 'unreachable', status };
  }
  if (body === null) return { kind: 'failed', reason: 'too_large', status };
  const json = parseObject(body);
  if (status < 200 || status > 299) {
    const error = typeof json?.['error'] === 'string' && OAUTH_ERROR.test(json['error']) ? json['error'] : undefined;
    const reason = status >= 400 && status < 500 ? 'refused' : 'unavailable';
    return error === undefined ? { kind: 'failed', reason, status } : { kind: 'failed', reason, status, error };
  }
  return tokenOf(json, status);
}

/** The token of a success answer, or `malformed`. */
function tokenOf(json: Record<string, unknown> | null, status: number): TokenAnswer {
  const accessToken = json?.['access_token'];
  const tokenType = json?.['token_type'];
  const malformed: TokenAnswer = { kind: 'failed', reason: 'malformed', status };
  if (typeof accessToken !== 'string' || accessToken.length > MAX_TOKEN_LENGTH || !TOKEN_CHARS.test(accessToken)) return malformed;
  // §7.1: the type is case-insensitive. Only Bearer tokens can be presented as they came.
  if (tokenType !== undefined && (typeof tokenType !== 'string' || tokenType.toLowerCase() !== 'bearer')) return malformed;
  return { kind: 'ok', accessToken, expiresIn: secondsOf(json?.['expires_in']) };
}

/** `expires_in` as positive seconds; some endpoints send it as a string. */
function secondsOf(value: unknown): number | undefined {
  const seconds = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? seconds : undefined;
}

/** The body, or null once it is longer than `cap` (the rest is not read). */
async function readCapped(response: Dispatcher.ResponseData, cap: number): Promise<Buffer | null> {
  const declared = Number(response.headers['content-length']);
  if (declared > cap) {
    response.body.destroy();
    return null;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += (chunk as Buffer).length;
    if (size > cap) {
      response.body.destroy();
      return null;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}

function parseObject(body: Buffer): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** application/x-www-form-urlencoded, as RFC 6749 §2.3.1 asks for the Basic user-id and password. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

function isTimeout(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown } | null;
  return e?.name === 'TimeoutError' || e?.code === 'UND_ERR_HEADERS_TIMEOUT' || e?.code === 'UND_ERR_BODY_TIMEOUT' || e?.code === 'UND_ERR_CONNECT_TIMEOUT';
}
