/**
 * The headers an authentication plugin gives the upstream about the client. The proxy drops
 * client-sent copies on every route (proxy/headers.ts), and the plugins clear them again before
 * setting them, so an upstream can trust them.
 */
import type { AuthenticatedConsumer, RequestContext } from '../plugin.js';

export const CONSUMER_HEADERS = ['x-consumer-id', 'x-consumer-username', 'x-consumer-custom-id', 'x-credential-identifier', 'x-anonymous-consumer'] as const;

/** Removes every client-sent consumer header. */
export function clearConsumerHeaders(headers: RequestContext['upstreamHeaders']): void {
  for (const name of CONSUMER_HEADERS) if (headers[name] !== undefined) headers[name] = undefined;
}

/**
 * Sets the consumer headers for `auth`; `anonymous` marks a fallback consumer (Kong's OR). A
 * header this consumer has no value for is removed, in case an earlier plugin set it.
 */
export function setConsumerHeaders(headers: RequestContext['upstreamHeaders'], auth: AuthenticatedConsumer, anonymous = false): void {
  headers['x-consumer-id'] = auth.consumer.id;
  put(headers, 'x-consumer-username', auth.consumer.username);
  put(headers, 'x-consumer-custom-id', auth.consumer.custom_id);
  put(headers, 'x-credential-identifier', auth.credentialId ?? null);
  put(headers, 'x-anonymous-consumer', anonymous ? 'true' : null);
}

/** Sets or unsets one header (undefined values are not sent; unsetting keeps the object's fast shape). */
function put(headers: RequestContext['upstreamHeaders'], name: string, value: string | null): void {
  if (value) headers[name] = value;
  else if (headers[name] !== undefined) headers[name] = undefined;
}

/** Quotes a realm for `WWW-Authenticate` (RFC 7235 quoted-string). */
export function quoteRealm(realm: string): string {
  return `"${realm.replace(/["\\]/g, '\\$&')}"`;
}
