/** Services: the upstreams Portcullis proxies to. A `url` in the input expands to protocol/host/port/path. */
import Type from 'typebox';
import type { BaseEntity, EntityDefinition } from './entity.js';
import { Name, Tags, Timeout } from './common-schemas.js';

export interface Service extends BaseEntity {
  readonly name: string | null;
  readonly protocol: 'http' | 'https';
  readonly host: string;
  readonly port: number;
  readonly path: string | null;
  /** Milliseconds; null means the node's `upstream_*_timeout`. */
  readonly connect_timeout: number | null;
  readonly read_timeout: number | null;
  readonly write_timeout: number | null;
  readonly retries: number;
  readonly enabled: boolean;
  readonly tags: readonly string[];
}

const Host = Type.String({ minLength: 1, maxLength: 253, pattern: '^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9._-]+)$' });
const Path = Type.Union([Type.String({ pattern: '^/[\\x21-\\x7e]*$', maxLength: 2048 }), Type.Null()]);

export const ServiceInput = Type.Object(
  {
    name: Type.Optional(Type.Union([Name, Type.Null()])),
    url: Type.Optional(Type.String({ pattern: '^https?://', maxLength: 4096 })),
    protocol: Type.Optional(Type.Union([Type.Literal('http'), Type.Literal('https')])),
    host: Type.Optional(Host),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    path: Type.Optional(Path),
    connect_timeout: Type.Optional(Timeout),
    read_timeout: Type.Optional(Timeout),
    write_timeout: Type.Optional(Timeout),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 32767 })),
    enabled: Type.Optional(Type.Boolean()),
    tags: Type.Optional(Tags),
  },
  { additionalProperties: false },
);

export const servicesDefinition: EntityDefinition<Service> = {
  name: 'services',
  singular: 'service',
  endpointKey: 'name',
  inputSchema: ServiceInput,
  fields: {
    name: { kind: 'string', unique: true },
    protocol: { kind: 'string' },
    host: { kind: 'string' },
    port: { kind: 'integer' },
    path: { kind: 'string' },
    connect_timeout: { kind: 'integer' },
    read_timeout: { kind: 'integer' },
    write_timeout: { kind: 'integer' },
    retries: { kind: 'integer' },
    enabled: { kind: 'boolean' },
    tags: { kind: 'json' },
  },
  defaults: {
    name: null,
    protocol: 'http',
    port: null,
    path: null,
    connect_timeout: null,
    read_timeout: null,
    write_timeout: null,
    retries: 5,
    enabled: true,
    tags: [],
  },
  normalize: normalizeService,
  check(service) {
    return service.host ? [] : [{ path: 'host', message: 'is required (give url, or protocol and host)' }];
  },
};

/** Expands `url`, fills the port from the protocol, and drops `url` from what is stored. */
export function normalizeService(input: Record<string, unknown>): Record<string, unknown> {
  const out = { ...input };
  if (typeof out['url'] === 'string') {
    const url = new URL(out['url']);
    out['protocol'] = url.protocol.slice(0, -1);
    out['host'] = url.hostname;
    out['port'] = url.port ? Number(url.port) : null;
    // A url replaces all four parts: without a path it clears an earlier one (PATCH included).
    out['path'] = url.pathname && url.pathname !== '/' ? url.pathname : null;
  }
  delete out['url'];
  if (out['port'] == null) out['port'] = out['protocol'] === 'https' ? 443 : 80;
  return out;
}
