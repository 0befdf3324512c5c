/**
 * Services: the upstreams Portcullis proxies to. A `url` in the input expands to
 * protocol/host/port/path. An https service's TLS settings (Kong's names): `tls_verify` (null: the
 * default, verify), `tls_verify_depth`, `ca_certificates` (ids of CA certificates trusted besides
 * the system store) and `client_certificate` (mTLS); an http service cannot have them (400), as in
 * Kong, so a `url` that turns a service to http must clear them in the same write.
 *
 * `grpc` and `grpcs` services (Kong's names) are gRPC upstreams: HTTP/2 with prior knowledge (h2c),
 * or HTTP/2 over TLS, which has the same TLS settings as https.
 */
import Type from 'typebox';
import type { BaseEntity, EntityDefinition, ForeignRef } from './entity.js';
import { ForeignInput, Name, Tags, Timeout, Uuid } from './common-schemas.js';
import type { FieldError } from '../errors/portcullis-error.js';

export interface Service extends BaseEntity {
  readonly name: string | null;
  readonly protocol: ServiceProtocol;
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
  /** Whether the upstream's certificate is verified; null: the default (verify, for https). */
  readonly tls_verify: boolean | null;
  /** Longest certificate chain accepted from the upstream (0–64); null: the TLS library's default. */
  readonly tls_verify_depth: number | null;
  /** Ids of CA certificates trusted for this upstream besides the system store; null: none. */
  readonly ca_certificates: readonly string[] | null;
  /** The certificate (and key) presented to the upstream (mTLS). */
  readonly client_certificate: ForeignRef | null;
}

export const SERVICE_PROTOCOLS = ['http', 'https', 'grpc', 'grpcs'] as const;
export type ServiceProtocol = (typeof SERVICE_PROTOCOLS)[number];

/** True for the protocols spoken over TLS to the upstream: https and grpcs. */
export function usesTls(protocol: ServiceProtocol): boolean {
  return protocol === 'https' || protocol === 'grpcs';
}

/** The TLS settings only an https or grpcs service may have. */
const TLS_FIELDS = ['tls_verify', 'tls_verify_depth', 'ca_certificates', 'client_certificate'] as const;

const Host = Type.String({ minLength: 1, maxLength: 253, pattern: '^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9._-]+)$' });
const Path = Type.Union([Type.String({ pattern: '^/[\\x21-\\x7e]*$', maxLength: 2048 }), Type.Null()]);

export const ServiceInput = Type.Object(
  {
    name: Type.Optional(Type.Union([Name, Type.Null()])),
    url: Type.Optional(Type.String({ pattern: '^(https?|grpcs?)://', maxLength: 4096 })),
    protocol: Type.Optional(Type.Union(SERVICE_PROTOCOLS.map((p) => Type.Literal(p)))),
    host: Type.Optional(Host),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    path: Type.Optional(Path),
    connect_timeout: Type.Optional(Timeout),
    read_timeout: Type.Optional(Timeout),
    write_timeout: Type.Optional(Timeout),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 32767 })),
    enabled: Type.Optional(Type.Boolean()),
    tags: Type.Optional(Tags),
    tls_verify: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
    tls_verify_depth: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 64 }), Type.Null()])),
    ca_certificates: Type.Optional(Type.Union([Type.Array(Uuid, { maxItems: 64, uniqueItems: true }), Type.Null()])),
    client_certificate: Type.Optional(ForeignInput),
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
    tls_verify: { kind: 'boolean' },
    tls_verify_depth: { kind: 'integer' },
    ca_certificates: { kind: 'json', foreignList: 'ca_certificates' },
    client_certificate: { kind: 'foreign', foreign: 'certificates', onDelete: 'restrict' },
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
    tls_verify: null,
    tls_verify_depth: null,
    ca_certificates: null,
    client_certificate: null,
  },
  normalize: normalizeService,
  check(service) {
    const errors: FieldError[] = service.host ? [] : [{ path: 'host', message: 'is required (give url, or protocol and host)' }];
    if (!usesTls(service.protocol)) {
      for (const field of TLS_FIELDS)
        if (service[field] != null) errors.push({ path: field, message: 'applies only to https and grpcs services (set it to null)' });
    }
    return errors;
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
  if (out['port'] == null) out['port'] = out['protocol'] === 'https' || out['protocol'] === 'grpcs' ? 443 : 80;
  if (Array.isArray(out['ca_certificates'])) out['ca_certificates'] = out['ca_certificates'].map((id) => (typeof id === 'string' ? id.toLowerCase() : id));
  return out;
}
