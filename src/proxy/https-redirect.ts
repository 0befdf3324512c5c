/**
 * Where a plain-HTTP request to an HTTPS-only route is redirected: `https://` + the host the client
 * asked for + the TLS listener's port (left out when it is 443) + the path and query as received.
 * Only the Host's host part is taken, and only when it is a plain DNS name or IP literal: anything
 * else (userinfo, a path, spaces, a port that is not a number) gets no redirect at all, so a
 * crafted Host can never turn the gateway into an open redirect to another site.
 */
import { isIP } from 'node:net';
import { hostnameOf } from './headers.js';

/** One label of a DNS name (underscores are tolerated: internal names use them). */
const LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
const DNS_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`);
const PORT = /^[0-9]{1,5}$/;

/**
 * The redirect target, or null when `host` is absent or not a plain host name. `pathAndQuery` is
 * the origin-form target (it starts with `/`); `tlsPort` null means the standard port (the TLS
 * listener is off: a load balancer in front terminates TLS on 443).
 */
export function httpsRedirectLocation(host: string | undefined, pathAndQuery: string, tlsPort: number | null): string | null {
  if (host === undefined || host.length === 0 || host.length > 260) return null;
  if (pathAndQuery.charCodeAt(0) !== 47 /* '/' */) return null;
  const name = hostnameOf(host);
  if (name.length < host.length && !PORT.test(host.slice(name.length + 1))) return null;
  if (!isPlainHost(name)) return null;
  const port = tlsPort === null || tlsPort === 443 ? '' : `:${tlsPort}`;
  return `https://${name.toLowerCase()}${port}${pathAndQuery}`;
}

function isPlainHost(name: string): boolean {
  if (name.startsWith('[')) return name.endsWith(']') && isIP(name.slice(1, -1)) === 6;
  return name.length <= 254 && (isIP(name) === 4 || DNS_NAME.test(name));
}
