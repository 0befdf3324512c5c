/**
 * A whole decK document → an ImportPlan. Reads every part of the file in one pass, so a user sees
 * every problem at once (each at its decK path) and every item that will not be migrated, before
 * anything is written. Names are indexed first, so a plugin may name a consumer defined further on.
 */
import { createHash } from 'node:crypto';
import type { PluginRegistry } from '../plugins/registry.js';
import { at, isObject, type DeckObject } from './deck-path.js';
import type { ImportPlan, PlannedEntity } from './import-plan.js';
import { MapContext } from './map-context.js';
import { mapService, mapTopLevelRoutes } from './map-services.js';
import { mapConsumer } from './map-consumers.js';
import { mapPlugins } from './map-plugins.js';
import { mapCaCertificate, mapCertificate } from './map-certificates.js';
import { regexShadowing } from './regex-shadowing.js';

/** decK's `_format_version`s: 1.1 (Kong 1.x–2.x) and 3.0 (Kong 3.x). */
export const DECK_FORMAT_VERSIONS = ['1.1', '3.0'];
const MAPPED = ['_format_version', '_transform', 'services', 'routes', 'consumers', 'plugins', 'certificates', 'ca_certificates'];
/** Top-level keys reported as a whole, with what to do instead. */
const NOT_MIGRATED: Readonly<Record<string, string>> = {
  _workspace: 'Portcullis has no workspaces: the file is imported into the node as a whole',
  _info: "decK's select_tags and defaults are not applied: entities are imported as written",
  _konnect: 'Konnect settings do not apply to Portcullis',
  upstreams: 'load balancing over targets is not supported: point the service at one host (or at a load balancer)',
  consumer_groups: 'consumer groups are not supported',
  vaults: 'Kong vaults are not migrated: declare Portcullis vaults (docs/secrets.md) and use {vault://…} references',
};

export interface MapDeckDeps {
  readonly registry: PluginRegistry;
  readonly nowSeconds: number;
}

export function mapDeck(document: unknown, deps: MapDeckDeps): ImportPlan {
  const ctx = new MapContext(deps);
  if (!isObject(document)) {
    ctx.reader.problem('(root)', 'must be a decK document (a map with _format_version, services, consumers …)');
    return { items: [], unsupported: [], problems: ctx.reader.problems };
  }
  const version = document['_format_version'];
  if (typeof version !== 'string' || !DECK_FORMAT_VERSIONS.includes(version)) {
    ctx.reader.problem('_format_version', `must be one of ${DECK_FORMAT_VERSIONS.map((v) => `"${v}"`).join(', ')}`);
  } else ctx.formatVersion = version;
  indexNames(ctx, document);
  for (const c of ctx.reader.objects(document, 'ca_certificates', '')) mapCaCertificate(ctx, c.value, c.path);
  for (const c of ctx.reader.objects(document, 'certificates', '')) mapCertificate(ctx, c.value, c.path);
  for (const s of ctx.reader.objects(document, 'services', '')) mapService(ctx, s.value, s.path);
  mapTopLevelRoutes(ctx, document);
  for (const c of ctx.reader.objects(document, 'consumers', '')) mapConsumer(ctx, c.value, c.path);
  for (const p of ctx.reader.objects(document, 'plugins', '')) mapPlugins(ctx, p.value, p.path);
  for (const [key, value] of Object.entries(document)) {
    if (MAPPED.includes(key)) continue;
    const reason = NOT_MIGRATED[key] ?? `decK's "${key}" is not supported by Portcullis`;
    if (Array.isArray(value)) value.forEach((v, i) => ctx.skip(key, itemName(v) ?? at(key, i), at(key, i), reason));
    else ctx.skip(key, key, key, reason);
  }
  refuseDuplicateCredentials(ctx);
  ctx.unsupported.push(...regexShadowing(ctx.items.route as PlannedEntity[]));
  return { items: ctx.ordered(), unsupported: ctx.unsupported, problems: ctx.reader.problems };
}

/** Defines every name and id first: references may point forward in the file. */
function indexNames(ctx: MapContext, doc: DeckObject): void {
  const quiet = new MapContext({ nowSeconds: 0, registry: ctx.registry }).reader; // list errors are reported by the mapping pass
  const named = (kind: 'service' | 'route' | 'consumer' | 'certificate', obj: DeckObject, path: string, fields: string[]) => {
    for (const f of fields) if (typeof obj[f] === 'string') ctx.define(kind, obj[f] as string, path, f);
  };
  for (const c of quiet.objects(doc, 'certificates', '')) named('certificate', c.value, c.path, ['id']);
  for (const s of quiet.objects(doc, 'services', '')) {
    named('service', s.value, s.path, ['id', 'name']);
    for (const r of quiet.objects(s.value, 'routes', s.path)) named('route', r.value, r.path, ['id', 'name']);
  }
  for (const r of quiet.objects(doc, 'routes', '')) named('route', r.value, r.path, ['id', 'name']);
  for (const c of quiet.objects(doc, 'consumers', '')) named('consumer', c.value, c.path, ['id', 'username', 'custom_id']);
}

/** Kong refuses a key value or basic-auth username used twice; so does the import (naming paths, never values). */
function refuseDuplicateCredentials(ctx: MapContext): void {
  const seen = new Map<string, string>();
  for (const item of [...ctx.items.api_key, ...ctx.items.basic_auth]) {
    if (item.kind !== 'api_key' && item.kind !== 'basic_auth') continue;
    const secretPart = item.kind === 'api_key' ? `key:${digest(item.value.reveal())}` : `basic:${item.username.normalize('NFC')}`;
    const first = seen.get(secretPart);
    if (first) ctx.reader.problem(at(item.path, item.kind === 'api_key' ? 'key' : 'username'), `is the same as at ${first}`);
    else seen.set(secretPart, item.path);
  }
}

function digest(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function itemName(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const name = value['name'] ?? value['username'] ?? value['id'];
  return typeof name === 'string' ? name : undefined;
}
