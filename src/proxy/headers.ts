/**
 * Header hygiene between client and upstream: hop-by-hop headers (RFC 9110 §7.6.1, plus the
 * legacy `proxy-connection` and `keep-alive`, and any header the `Connection` header names) never
 * cross the proxy in either direction; the upstream request gets `X-Forwarded-*`, `X-Request-Id`
 * and the right `Host`. (No `X-Real-IP`: it repeats the last X-Forwarded-For entry, and every
 * header added costs on every request.)
 *
 * X-Forwarded-For is appended to (the client's chain is kept, its address added, as nginx's
 * `$proxy_add_x_forwarded_for`); X-Forwarded-Proto/-Host/-Port are overwritten with what this
 * listener saw, since no client is trusted to state them. A client's X-Request-Id is kept when it
 * is a plausible id (1–128 chars of [A-Za-z0-9._:@+=/-]) so traces can span systems; otherwise a
 * fresh UUID is generated.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { CONSUMER_HEADERS } from '../plugins/shared/consumer-headers.js';

/** Headers that describe one connection, not the message (lower-case). */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
  // Node answers `Expect: 100-continue` itself; the upstream request is sent whole.
  'expect',
]);

/**
 * Headers only Portcullis may set (who the authenticated client is): a client's copies are
 * dropped on every route, with or without an authentication plugin, so an upstream can trust them.
 */
const IDENTITY_HEADERS: ReadonlySet<string> = new Set(CONSUMER_HEADERS);

const REQUEST_ID = /^[A-Za-z0-9._:@+=/-]{1,128}$/;

/** The client's X-Request-Id when it is plausible, otherwise a new UUID. */
export function pickRequestId(value: string | string[] | undefined): string {
  return typeof value === 'string' && REQUEST_ID.test(value) ? value : randomUUID();
}

/** What the proxy tells the upstream about the client-side connection. */
export interface ForwardedFacts {
  readonly clientIp: string;
  readonly requestId: string;
  /** The host the client asked for (Host header, or the authority of an absolute-form target). */
  readonly requestHost: string;
  /** The listener's port, as a string. */
  readonly port: string;
  /** The Host header sent upstream (the service's, or the client's with preserve_host). */
  readonly upstreamHost: string;
}

/** Builds the upstream request headers from the client's. The input is not changed. */
export function buildUpstreamHeaders(incoming: IncomingHttpHeaders, facts: ForwardedFacts): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  const listed = connectionTokens(incoming.connection);
  for (const name in incoming) {
    if (HOP_BY_HOP.has(name) || IDENTITY_HEADERS.has(name) || (listed !== null && listed.includes(name))) continue;
    out[name] = incoming[name];
  }
  const prior = incoming['x-forwarded-for'];
  out['x-forwarded-for'] = prior ? `${prior}, ${facts.clientIp}` : facts.clientIp;
  out['x-forwarded-proto'] = 'http';
  out['x-forwarded-host'] = hostnameOf(facts.requestHost);
  out['x-forwarded-port'] = facts.port;
  out['x-request-id'] = facts.requestId;
  out['host'] = facts.upstreamHost;
  return out;
}

/** Copies the upstream response headers without the hop-by-hop ones. */
export function filterResponseHeaders(incoming: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  const listed = connectionTokens(incoming.connection);
  for (const name in incoming) {
    if (HOP_BY_HOP.has(name) || (listed !== null && listed.includes(name))) continue;
    out[name] = incoming[name];
  }
  return out;
}

/**
 * Header names listed in a `Connection` value, lower-case, without `close` and `keep-alive`
 * (already hop-by-hop); null when there are none, the usual case, so nothing is allocated.
 */
export function connectionTokens(value: string | string[] | undefined): string[] | null {
  if (value === undefined) return null;
  const text = (Array.isArray(value) ? value.join(',') : value).toLowerCase();
  if (text === 'keep-alive' || text === 'close') return null;
  const tokens = text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '' && t !== 'close' && t !== 'keep-alive');
  return tokens.length > 0 ? tokens : null;
}

/** `example.com:8000` → `example.com`; `[::1]:8000` → `[::1]`. */
export function hostnameOf(host: string): string {
  const colon = host.lastIndexOf(':');
  return colon === -1 || colon < host.lastIndexOf(']') ? host : host.slice(0, colon);
}
