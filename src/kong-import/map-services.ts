/**
 * decK services and routes → Portcullis services and routes. The fields mean the same in both
 * (Kong's names were kept on purpose); what Portcullis lacks (stream and gRPC protocols, the
 * expressions router, `path_handling: v1`, buffering switches) is reported, not guessed.
 */
import { servicesDefinition } from '../entities/services.js';
import { routesDefinition } from '../entities/routes.js';
import { refName, type DeckObject } from './deck-path.js';
import { leftoverFields } from './leftover-fields.js';
import { kongId, type MapContext } from './map-context.js';
import type { PlanRef } from './import-plan.js';
import { mapPlugins } from './map-plugins.js';

const HTTP = ['http', 'https'];
const SERVICE_FIELDS = ['name', 'url', 'protocol', 'host', 'port', 'path', 'retries', 'connect_timeout', 'read_timeout', 'write_timeout', 'tags', 'enabled'];
const SERVICE_TLS_FIELDS = ['tls_verify', 'tls_verify_depth', 'ca_certificates', 'client_certificate'];
const ROUTE_FIELDS = ['name', 'paths', 'hosts', 'methods', 'headers', 'strip_path', 'preserve_host', 'regex_priority', 'tags', 'https_redirect_status_code'];

/** Maps one service at `path`, with its nested routes and plugins. */
export function mapService(ctx: MapContext, svc: DeckObject, path: string): void {
  const name = ctx.reader.string(svc, 'name', path);
  const label = name ?? kongId(svc['id']) ?? path;
  ctx.labels.set(path, label);
  const protocol = ctx.reader.string(svc, 'protocol', path) ?? (typeof svc['url'] === 'string' ? svc['url'].split(':')[0] : 'http');
  if (!HTTP.includes(protocol ?? '')) {
    ctx.skip('service', label, path, `protocol "${protocol}" is not proxied by Portcullis (http and https only); its routes and plugins are skipped too`);
    return;
  }
  const input: Record<string, unknown> = {};
  for (const f of [...SERVICE_FIELDS, ...SERVICE_TLS_FIELDS]) if (svc[f] !== undefined && svc[f] !== null) input[f] = svc[f];
  const refs: Record<string, PlanRef> = {};
  const cert = refName(svc['client_certificate']);
  if (cert) refs['client_certificate'] = ctx.ref('certificate', cert);
  delete input['client_certificate'];
  ctx.unsupported.push(...leftoverFields(svc, { entity: 'service', name: label, path, used: [...SERVICE_FIELDS, ...SERVICE_TLS_FIELDS, 'routes', 'plugins'] }));
  if (ctx.checker.check(servicesDefinition, input, path)) ctx.items.service.push({ kind: 'service', path, label, id: kongId(svc['id']), input, refs });
  const self: PlanRef = { plan: path };
  for (const r of ctx.reader.objects(svc, 'routes', path)) mapRoute(ctx, r.value, r.path, self);
  for (const p of ctx.reader.objects(svc, 'plugins', path)) mapPlugins(ctx, p.value, p.path, { service: self });
}

/** Maps one route; `service` is its parent's when nested, else read from the route's `service`. */
export function mapRoute(ctx: MapContext, route: DeckObject, path: string, parent?: PlanRef): void {
  const name = ctx.reader.string(route, 'name', path);
  const label = name ?? kongId(route['id']) ?? path;
  ctx.labels.set(path, label);
  const protocols = Array.isArray(route['protocols']) ? route['protocols'] : ['http', 'https'];
  const other = protocols.filter((p) => !HTTP.includes(p as string));
  if (other.length > 0) return ctx.skip('route', label, path, `protocols ${other.join(', ')} are not proxied by Portcullis (http and https only)`);
  if (route['expression'] != null) return ctx.skip('route', label, path, 'Kong expressions are not supported: give the route paths, hosts, methods or headers');
  const input: Record<string, unknown> = {};
  for (const f of ROUTE_FIELDS) if (route[f] !== undefined && route[f] !== null) input[f] = route[f];
  if (route['protocols'] != null) input['protocols'] = route['protocols'];
  if (ctx.formatVersion === '1.1') refuseUnmarkedRegexes(ctx, input['paths'], path);
  const refs: Record<string, PlanRef> = {};
  const serviceName = refName(route['service']);
  if (parent) refs['service'] = parent;
  else if (serviceName) refs['service'] = ctx.ref('service', serviceName);
  ctx.unsupported.push(
    ...leftoverFields(route, {
      entity: 'route',
      name: label,
      path,
      used: [...ROUTE_FIELDS, 'protocols', 'service', 'plugins'],
      harmless: { path_handling: 'v0', request_buffering: true, response_buffering: true },
      why: { path_handling: 'Portcullis joins paths as Kong\'s path_handling "v0"; check upstream paths of this route' },
    }),
  );
  if (ctx.checker.check(routesDefinition, input, path)) ctx.items.route.push({ kind: 'route', path, label, id: kongId(route['id']), input, refs });
  for (const p of ctx.reader.objects(route, 'plugins', path)) mapPlugins(ctx, p.value, p.path, { route: { plan: path } });
}

/** Characters that made a Kong 2.x path a regex; Kong 3 (and Portcullis) need the `~` instead. */
const REGEX_CHARS = /[\\()[\]{}*+?|^$]/;

/**
 * A "1.1" file (Kong 2.x) marks no regex: `/orders/\d+` was a regex there and would be a plain
 * prefix here. Refused, with the decK command that adds the `~` Kong 3 needs too.
 */
function refuseUnmarkedRegexes(ctx: MapContext, paths: unknown, path: string): void {
  if (!Array.isArray(paths)) return;
  paths.forEach((p, i) => {
    if (typeof p === 'string' && !p.startsWith('~') && REGEX_CHARS.test(p)) {
      ctx.reader.problem(
        `${path}.paths[${i}]`,
        'is a Kong 2.x regex path without "~": run `deck file convert --from kong-gateway-2.x --to kong-gateway-3.x` first',
      );
    }
  });
}

/** Top-level routes: each names its service. */
export function mapTopLevelRoutes(ctx: MapContext, doc: DeckObject): void {
  for (const r of ctx.reader.objects(doc, 'routes', '')) mapRoute(ctx, r.value, r.path);
}
