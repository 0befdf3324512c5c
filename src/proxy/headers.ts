/**
 * Header hygiene between client and upstream: hop-by-hop headers (RFC 9110 §7.6.1, plus the
 * legacy `proxy-connection` and `keep-alive`, and any header the `Connection` header names) never
 * cross the proxy in either direction; the upstream request gets the right `Host`, `X-Request-Id`,
 * and what the gateway says about the client: `X-Forwarded-For/-Proto/-Host/-Port`, `X-Real-IP`
 * and `Forwarded` (RFC 7239).
 *
 * A client cannot speak for the gateway: its copies of every header the gateway sets (the
 * consumer headers, the forwarding headers, `X-Request-Id`) are dropped, and so are the other
 * headers upstreams read as the client's address or scheme (`X-Client-IP`, `True-Client-IP`,
 * `X-Forwarded-Ssl` …) or as the request's real path or method (`X-Original-URL`,
 * `X-HTTP-Method-Override` …). A name is compared after mapping `_` to `-`, because CGI-style upstreams
 * (PHP, Python WSGI, …) read `X_Consumer_Username` as `HTTP_X_CONSUMER_USERNAME`, the same as
 * `X-Consumer-Username`. Only a trusted proxy (`trusted_ips`) keeps its forwarding headers: its
 * `X-Forwarded-For` and `Forwarded` are extended with its own address, its
 * `X-Forwarded-Proto/-Host/-Port` and client-address headers kept. A client's plain
 * X-Request-Id is kept when it is a plausible id (1–128 chars of [A-Za-z0-9._:@+=/-]) so
 * traces can span systems; otherwise a fresh UUID is generated.
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
  // The proxy answers `Expect: 100-continue` itself, once the access phase accepted the request
  // (proxy-server.ts); the upstream then gets the body without waiting for a 100.
  'expect',
]);

/** Headers the gateway itself sets on every upstream request (a client's copies never pass). */
export const GATEWAY_HEADERS: readonly string[] = [
  ...CONSUMER_HEADERS,
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-real-ip',
  'forwarded',
  'x-request-id',
  'host',
];

/**
 * Headers that frameworks and libraries read as the client's address or scheme, or as the
 * request's real path or method: kept only from a trusted proxy.
 */
export const CLIENT_ADDRESS_HEADERS: readonly string[] = [
  'x-client-ip',
  'true-client-ip',
  'cf-connecting-ip',
  'cf-connecting-ipv6',
  'cf-pseudo-ipv4',
  'x-cluster-client-ip',
  'client-ip',
  'fastly-client-ip',
  'x-originating-ip',
  'x-remote-ip',
  'x-remote-addr',
  'x-forwarded',
  'forwarded-for',
  'x-appengine-user-ip',
  'x-azure-clientip',
  'x-forwarded-prefix',
  'x-forwarded-server',
  'x-forwarded-ssl',
  'x-forwarded-scheme',
  'x-url-scheme',
  'front-end-https',
  // What some frameworks take for the request's real path or method (IIS, Symfony, Laravel,
  // Rails, ASP.NET): a client's copy would make the upstream serve another path or method than
  // the one the gateway routed and authorised.
  'x-original-url',
  'x-rewrite-url',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
];

/** Not copied from a client that is not a trusted proxy (one lookup per header). */
const DROPPED_FROM_CLIENT: ReadonlySet<string> = new Set([...HOP_BY_HOP, ...GATEWAY_HEADERS, ...CLIENT_ADDRESS_HEADERS]);
/** Not copied from a trusted proxy: its forwarding headers are read and extended below, not copied. */
const DROPPED_FROM_PROXY: ReadonlySet<string> = new Set([...HOP_BY_HOP, ...GATEWAY_HEADERS]);

const REQUEST_ID = /^[A-Za-z0-9._:@+=/-]{1,128}$/;

/** The client's X-Request-Id when it is plausible, otherwise a new UUID. */
export function pickRequestId(value: string | string[] | undefined): string {
  return typeof value === 'string' && REQUEST_ID.test(value) ? value : randomUUID();
}

/** What the proxy tells the upstream about the client-side connection. */
export interface ForwardedFacts {
  /** The address of the connection's peer (the client, or a proxy in front). */
  readonly peerIp: string;
  /** True when the peer is in `trusted_ips`: its forwarding headers are kept and extended. */
  readonly trustedPeer: boolean;
  /** The client's address: the peer's, or behind a trusted proxy the one it forwarded. */
  readonly clientIp: string;
  readonly requestId: string;
  /** The host the client asked for (Host header, or the authority of an absolute-form target). */
  readonly requestHost: string;
  /** The listener's port, as a string. */
  readonly port: string;
  /** The listener's scheme: `https` on the TLS listener. */
  readonly proto: 'http' | 'https';
  /** The Host header sent upstream (the service's, or the client's with preserve_host). */
  readonly upstreamHost: string;
}

/** Builds the upstream request headers from the client's. The input is not changed. */
export function buildUpstreamHeaders(incoming: IncomingHttpHeaders, facts: ForwardedFacts): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  const listed = connectionTokens(incoming.connection);
  const dropped = facts.trustedPeer ? DROPPED_FROM_PROXY : DROPPED_FROM_CLIENT;
  for (const name in incoming) {
    if (dropped.has(name) || (listed !== null && listed.includes(name))) continue;
    // Rare: `_` in a name. Its `-` spelling is what a CGI-style upstream sees.
    if (name.indexOf('_') !== -1 && DROPPED_FROM_CLIENT.has(name.replace(/_/g, '-'))) continue;
    out[name] = incoming[name];
  }
  const element = forwardedElement(facts.peerIp, facts.requestHost, facts.proto);
  if (facts.trustedPeer) {
    out['x-forwarded-for'] = append(incoming['x-forwarded-for'], facts.peerIp);
    out['forwarded'] = append(incoming['forwarded'], element);
    out['x-forwarded-proto'] = incoming['x-forwarded-proto'] ?? facts.proto;
    out['x-forwarded-host'] = incoming['x-forwarded-host'] ?? hostnameOf(facts.requestHost);
    out['x-forwarded-port'] = incoming['x-forwarded-port'] ?? facts.port;
  } else {
    out['x-forwarded-for'] = facts.peerIp;
    out['forwarded'] = element;
    out['x-forwarded-proto'] = facts.proto;
    out['x-forwarded-host'] = hostnameOf(facts.requestHost);
    out['x-forwarded-port'] = facts.port;
  }
  out['x-real-ip'] = facts.clientIp;
  out['x-request-id'] = facts.requestId;
  out['host'] = facts.upstreamHost;
  return out;
}

/** A trusted proxy's list with one more entry. */
function append(prior: string | string[] | undefined, entry: string): string {
  if (prior === undefined || prior === '') return entry;
  return `${Array.isArray(prior) ? prior.join(', ') : prior}, ${entry}`;
}

/**
 * This hop's RFC 7239 element: `for` the peer (IPv6 quoted and bracketed, `unknown` without an
 * address), `host` the Host received (always a quoted-string: it usually holds a `:`), `proto`
 * the listener's scheme.
 */
export function forwardedElement(peer: string, host: string, proto: 'http' | 'https'): string {
  const node = peer === '' ? 'unknown' : peer.indexOf(':') === -1 ? peer : `"[${peer}]"`;
  if (host === '') return `for=${node};proto=${proto}`;
  const quoted = host.indexOf('"') === -1 && host.indexOf('\\') === -1 ? host : host.replace(/["\\]/g, '\\$&');
  return `for=${node};host="${quoted}";proto=${proto}`;
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
