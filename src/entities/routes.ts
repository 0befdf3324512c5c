/**
 * Routes: which requests go to which service. Paths are prefixes matched at segment boundaries
 * (`/files` matches `/files` and `/files/…`, not `/files-v2`), or regular expressions when they
 * start with `~` (Kong's convention), run on RE2 and refused at write time when RE2 cannot compile
 * them (`route-pattern.ts`); the longest prefix wins, then regexes by priority.
 *
 * `protocols` are Kong's: `http`/`https` for requests, `ws`/`wss` for WebSocket connections,
 * `grpc`/`grpcs` for gRPC calls (the second of each pair on the TLS listener; `grpc` is h2c). As in
 * Kong, one route serves one family: mixing families is refused.
 */
import Type from 'typebox';
import type { BaseEntity, EntityDefinition, ForeignRef } from './entity.js';
import { ForeignInput, Name, Tags } from './common-schemas.js';
import type { FieldError } from '../errors/portcullis-error.js';
import { routePatternProblem } from './route-pattern.js';

export interface Route extends BaseEntity {
  readonly name: string | null;
  readonly service: ForeignRef | null;
  readonly protocols: readonly RouteProtocol[];
  readonly paths: readonly string[];
  readonly methods: readonly string[];
  readonly hosts: readonly string[];
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly strip_path: boolean;
  readonly preserve_host: boolean;
  readonly regex_priority: number;
  readonly tags: readonly string[];
  /** What a route whose `protocols` lack `http` answers a plain-HTTP request: 426, or a redirect to https. */
  readonly https_redirect_status_code: HttpsRedirectStatus;
}

/** A route's protocols: requests (`http`, `https`), WebSocket connections (`ws`, `wss`) or gRPC calls (`grpc`, `grpcs`). */
export const ROUTE_PROTOCOLS = ['http', 'https', 'ws', 'wss', 'grpc', 'grpcs'] as const;
export type RouteProtocol = (typeof ROUTE_PROTOCOLS)[number];

/** The three families a route may serve, one each. */
export type RouteFamily = 'http' | 'websocket' | 'grpc';

/** The family of a protocol. */
export function familyOf(protocol: RouteProtocol): RouteFamily {
  if (protocol === 'ws' || protocol === 'wss') return 'websocket';
  return protocol === 'grpc' || protocol === 'grpcs' ? 'grpc' : 'http';
}

/** The family a route serves: its protocols all share one (checked at write time), so the first says which. */
export function routeFamily(route: Pick<Route, 'protocols'>): RouteFamily {
  return familyOf(route.protocols[0] ?? 'http');
}

/** Kong's `https_redirect_status_code` values: 426 Upgrade Required, or a redirect to the https URL. */
export const HTTPS_REDIRECT_STATUSES = [426, 301, 302, 307, 308] as const;
export type HttpsRedirectStatus = (typeof HTTPS_REDIRECT_STATUSES)[number];

const PathPattern = Type.String({ minLength: 1, maxLength: 1024, pattern: '^(/[\\x21-\\x7e]*|~.+)$' });
const Method = Type.String({ pattern: '^[A-Z]{1,16}$' });
const HostPattern = Type.String({ maxLength: 253, pattern: '^(\\*\\.)?[A-Za-z0-9._-]+(\\.\\*)?(:[0-9]{1,5})?$' });

export const RouteInput = Type.Object(
  {
    name: Type.Optional(Type.Union([Name, Type.Null()])),
    service: Type.Optional(ForeignInput),
    protocols: Type.Optional(Type.Array(Type.Union(ROUTE_PROTOCOLS.map((p) => Type.Literal(p))), { minItems: 1, uniqueItems: true })),
    paths: Type.Optional(Type.Array(PathPattern, { maxItems: 256 })),
    methods: Type.Optional(Type.Array(Method, { maxItems: 32, uniqueItems: true })),
    hosts: Type.Optional(Type.Array(HostPattern, { maxItems: 256 })),
    // A Record's key schema is not checked by itself: propertyNames is what refuses bad names.
    headers: Type.Optional(
      Type.Record(Type.String(), Type.Array(Type.String({ maxLength: 1024 }), { minItems: 1, maxItems: 32 }), {
        maxProperties: 32,
        propertyNames: Type.String({ pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}$" }),
      }),
    ),
    strip_path: Type.Optional(Type.Boolean()),
    preserve_host: Type.Optional(Type.Boolean()),
    regex_priority: Type.Optional(Type.Integer({ minimum: -1_000_000, maximum: 1_000_000 })),
    tags: Type.Optional(Tags),
    https_redirect_status_code: Type.Optional(Type.Union(HTTPS_REDIRECT_STATUSES.map((code) => Type.Literal(code)))),
  },
  { additionalProperties: false },
);

export const routesDefinition: EntityDefinition<Route> = {
  name: 'routes',
  singular: 'route',
  endpointKey: 'name',
  inputSchema: RouteInput,
  fields: {
    name: { kind: 'string', unique: true },
    service: { kind: 'foreign', foreign: 'services', onDelete: 'restrict' },
    protocols: { kind: 'json' },
    paths: { kind: 'json' },
    methods: { kind: 'json' },
    hosts: { kind: 'json' },
    headers: { kind: 'json' },
    strip_path: { kind: 'boolean' },
    preserve_host: { kind: 'boolean' },
    regex_priority: { kind: 'integer' },
    tags: { kind: 'json' },
    https_redirect_status_code: { kind: 'integer' },
  },
  defaults: {
    name: null,
    service: null,
    protocols: ['http', 'https'],
    paths: [],
    methods: [],
    hosts: [],
    headers: {},
    strip_path: true,
    preserve_host: false,
    regex_priority: 0,
    tags: [],
    https_redirect_status_code: 426,
  },
  normalize(input) {
    const out = { ...input };
    if (Array.isArray(out['hosts'])) out['hosts'] = (out['hosts'] as string[]).map((h) => h.toLowerCase());
    if (out['headers'] && typeof out['headers'] === 'object') {
      out['headers'] = Object.fromEntries(Object.entries(out['headers'] as Record<string, string[]>).map(([k, v]) => [k.toLowerCase(), v]));
    }
    return out;
  },
  check(route) {
    const errors: FieldError[] = [];
    if (!route.paths.length && !route.hosts.length && !route.methods.length && !Object.keys(route.headers).length) {
      errors.push({ path: 'paths', message: 'a route needs at least one of paths, hosts, methods or headers' });
    }
    route.paths.forEach((p, i) => {
      if (!p.startsWith('~')) return;
      const problem = routePatternProblem(p.slice(1));
      if (problem !== null) errors.push({ path: `paths.${i}`, message: problem });
    });
    if (route.headers['host']) errors.push({ path: 'headers.host', message: 'use hosts to match the Host header' });
    const family = routeFamily(route);
    if (route.protocols.some((p) => familyOf(p) !== family)) {
      errors.push({
        path: 'protocols',
        message: 'http/https, ws/wss and grpc/grpcs cannot be mixed: a route serves requests, WebSocket connections or gRPC calls',
      });
    }
    return errors;
  },
};
