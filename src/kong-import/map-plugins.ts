/**
 * decK plugins → Portcullis plugins. Three Kong plugins have a Portcullis twin with the same
 * field names: key-auth, basic-auth and request-termination. Kong's defaults are written out
 * where Portcullis chose safer ones (Kong reads keys from the query string and passes them
 * upstream by default; Portcullis does not), so imported routes behave as they did under Kong.
 * Every other plugin, and any field the twin lacks, is reported.
 */
import { pluginsDefinition } from '../entities/plugins.js';
import { at, isObject, refName, type DeckObject } from './deck-path.js';
import { leftoverFields } from './leftover-fields.js';
import { kongId, type MapContext } from './map-context.js';
import type { PlanRef } from './import-plan.js';

/** Kong's defaults of the fields each twin has (Kong 3.x schemas). */
const KONG_DEFAULTS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  'key-auth': { key_names: ['apikey'], key_in_header: true, key_in_query: true, key_in_body: false, hide_credentials: false, run_on_preflight: true },
  'basic-auth': { hide_credentials: false },
  'request-termination': { status_code: 503 },
};
/** Kong fields of the twins that are harmless at these values. */
const HARMLESS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  'request-termination': { echo: false },
  'basic-auth': { brute_force_protection: { strategy: 'off' } },
};

type Scope = Partial<Record<'service' | 'route' | 'consumer', PlanRef>>;

/** Maps one plugin at `path`; `scope` holds the parent it is nested in, if any. */
export function mapPlugins(ctx: MapContext, plugin: DeckObject, path: string, scope: Scope = {}): void {
  const name = ctx.reader.string(plugin, 'name', path);
  if (name === undefined) return ctx.reader.problem(at(path, 'name'), 'is required');
  const definition = ctx.registry.get(name);
  const where = describeScope(ctx, plugin, scope);
  const label = `${name}${where}`;
  if (!definition || !KONG_DEFAULTS[name]) {
    return ctx.skip('plugin', label, path, `Portcullis has no "${name}" plugin (it has key-auth, basic-auth, request-termination, upstream-auth)`);
  }
  if (plugin['consumer_group'] != null) return ctx.skip('plugin', label, path, 'consumer groups are not supported');
  const protocols = plugin['protocols'];
  const refs: Scope = { ...scope };
  for (const kind of ['service', 'route', 'consumer'] as const) {
    const ref = refName(plugin[kind]);
    if (ref && !scope[kind]) refs[kind] = ctx.ref(kind, ref);
  }
  const kongConfig = plugin['config'] ?? {};
  if (!isObject(kongConfig)) return ctx.reader.problem(at(path, 'config'), 'must be an object');
  const known = Object.keys(definition.configSchema.properties);
  const config: Record<string, unknown> = { ...KONG_DEFAULTS[name] };
  for (const [k, v] of Object.entries(kongConfig)) if (known.includes(k) && v !== null) config[k] = v;
  ctx.unsupported.push(
    ...leftoverFields(kongConfig, { entity: `plugin ${name} config`, name: label, path: at(path, 'config'), used: known, harmless: HARMLESS[name] ?? {} }),
    ...leftoverFields(plugin, {
      entity: 'plugin',
      name: label,
      path,
      used: ['name', 'config', 'enabled', 'tags', 'service', 'route', 'consumer', 'instance_name'],
      harmless: { protocols: Array.isArray(protocols) && protocols.every((p) => ['http', 'https', 'grpc', 'grpcs'].includes(p as string)) ? protocols : [] },
      why: { ordering: 'plugin ordering is not supported: Portcullis runs plugins in a fixed order (authentication first)' },
    }),
  );
  const input: Record<string, unknown> = { name, config };
  if (typeof plugin['enabled'] === 'boolean') input['enabled'] = plugin['enabled'];
  if (plugin['tags'] != null) input['tags'] = plugin['tags'];
  const validated = ctx.registry.validateConfig(name, config);
  for (const e of validated.errors) ctx.reader.problem(at(path, e.path.replace(/\.(\d+)/g, '[$1]')), e.message);
  if (validated.errors.length > 0 || !ctx.checker.check(pluginsDefinition, input, path)) return;
  ctx.items.plugin.push({ kind: 'plugin', path, label, id: kongId(plugin['id']), input, refs });
}

function describeScope(ctx: MapContext, plugin: DeckObject, scope: Scope): string {
  const refLabel = (ref: PlanRef) => ('plan' in ref ? (ctx.labels.get(ref.plan) ?? ref.plan) : ref.existing);
  const parts = (['service', 'route', 'consumer'] as const).map((k) =>
    scope[k] ? `${k} ${refLabel(scope[k])}` : refName(plugin[k]) ? `${k} ${refName(plugin[k])}` : '',
  );
  const text = parts.filter(Boolean).join(', ');
  return text ? ` on ${text}` : ' (global)';
}
