/**
 * The headers an authentication plugin gives the upstream about the client. The proxy drops
 * client-sent copies on every route (proxy/headers.ts), and the plugins clear them again before
 * setting them, so an upstream can trust them.
 */
import type { AuthenticatedConsumer, RequestContext } from '../plugin.js';

export const CONSUMER_HEADERS = ['x-consumer-id', 'x-consumer-username', 'x-consumer-custom-id', 'x-credential-identifier', 'x-anonymous-consumer'] as const;

/** Removes every client-sent consumer header. */
export function clearConsumerHeaders(headers: RequestContext['upstreamHeaders']): void {
  for (const name of CONSUMER_HEADERS) delete headers[name];
}

/** Sets the consumer headers for `auth`; `anonymous` marks a fallback consumer (Kong's OR). */
export function setConsumerHeaders(headers: RequestContext['upstreamHeaders'], auth: AuthenticatedConsumer, anonymous = false): void {
  clearConsumerHeaders(headers);
  headers['x-consumer-id'] = auth.consumer.id;
  if (auth.consumer.username) headers['x-consumer-username'] = auth.consumer.username;
  if (auth.consumer.custom_id) headers['x-consumer-custom-id'] = auth.consumer.custom_id;
  if (auth.credentialId) headers['x-credential-identifier'] = auth.credentialId;
  if (anonymous) headers['x-anonymous-consumer'] = 'true';
}

/** Quotes a realm for `WWW-Authenticate` (RFC 7235 quoted-string). */
export function quoteRealm(realm: string): string {
  return `"${realm.replace(/["\\]/g, '\\$&')}"`;
}
