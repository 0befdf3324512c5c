/**
 * basic-auth's `hide_credentials`: the `Authorization` header goes when it carries Basic
 * credentials (a value starting with `Basic`, in any case, whatever follows), so a route that also lets another
 * scheme through for the upstream (a Bearer token behind `anonymous`) keeps it. `Proxy-Authorization`
 * never reaches an upstream at all: it is hop-by-hop (proxy/headers.ts).
 */
import type { RequestContext } from '../plugin.js';

const BASIC = /^\s*basic/i;

export function hideBasicCredentials(headers: RequestContext['upstreamHeaders']): void {
  const value = headers['authorization'];
  if (value === undefined) return;
  if (Array.isArray(value) ? value.some((v) => BASIC.test(v)) : BASIC.test(value)) headers['authorization'] = undefined;
}
