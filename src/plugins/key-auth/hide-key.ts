/**
 * `hide_credentials` for key-auth: before the upstream call, every spelling of every configured
 * key name is removed from every place an upstream could read it — headers, query string and
 * (when the proxy inspects it) the body — whether or not this configuration reads the key there.
 * A key sent where the plugin does not look is still a credential the upstream must not get.
 */
import type { RequestContext } from '../plugin.js';
import { removeParams } from '../shared/form-params.js';
import type { KeyNames } from './key-names.js';

export function hideKey(ctx: RequestContext, names: KeyNames): void {
  const headers = ctx.upstreamHeaders;
  // Unset rather than deleted: undici skips undefined values, and the object keeps its fast shape.
  for (const spelling of names.headerSpellings) if (headers[spelling] !== undefined) headers[spelling] = undefined;
  if (names.scannedHeaders !== null) {
    for (const name in headers) if (headers[name] !== undefined && names.scannedHeaders.has(name.replace(/_/g, '-'))) headers[name] = undefined;
  }
  if (ctx.query !== '' && names.mayHoldKeyParam(ctx.query)) ctx.query = removeParams(ctx.query, names.isKeyParam);
  if (ctx.body !== null) ctx.body.remove(names.isKeyParam);
}
