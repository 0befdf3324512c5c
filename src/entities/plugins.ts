/**
 * Plugin configurations: a plugin name, its config (validated by that plugin's own schema, see
 * `plugins/registry.ts`) and where it applies: globally, or to a service, route, consumer or a
 * combination. The most specific configuration wins (Kong's precedence).
 */
import Type from 'typebox';
import type { BaseEntity, EntityDefinition, ForeignRef } from './entity.js';
import { ForeignInput, Tags } from './common-schemas.js';

export interface PluginConfig extends BaseEntity {
  readonly name: string;
  readonly config: Readonly<Record<string, unknown>>;
  readonly service: ForeignRef | null;
  readonly route: ForeignRef | null;
  readonly consumer: ForeignRef | null;
  readonly enabled: boolean;
  readonly tags: readonly string[];
}

export const PluginInput = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,63}$' }),
    config: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    service: Type.Optional(ForeignInput),
    route: Type.Optional(ForeignInput),
    consumer: Type.Optional(ForeignInput),
    enabled: Type.Optional(Type.Boolean()),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);

export const pluginsDefinition: EntityDefinition<PluginConfig> = {
  name: 'plugins',
  singular: 'plugin',
  inputSchema: PluginInput,
  fields: {
    name: { kind: 'string' },
    config: { kind: 'json' },
    service: { kind: 'foreign', foreign: 'services', onDelete: 'cascade' },
    route: { kind: 'foreign', foreign: 'routes', onDelete: 'cascade' },
    consumer: { kind: 'foreign', foreign: 'consumers', onDelete: 'cascade' },
    enabled: { kind: 'boolean' },
    tags: { kind: 'json' },
  },
  defaults: { config: {}, service: null, route: null, consumer: null, enabled: true, tags: [] },
  uniqueTogether: [['name', 'service', 'route', 'consumer']],
};
