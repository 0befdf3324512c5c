/**
 * The OpenAPI 3.1 document of the Admin API, built from the routes themselves: an `onRoute` hook
 * records each route's method, path and TypeBox schemas (params, querystring, body, response),
 * so the document lists exactly what is registered, extra routes included. Schemas given a name
 * with `name()` become components referred to by `$ref`; the others are inlined.
 */
import { STATUS_CODES } from 'node:http';
import type { RouteOptions } from 'fastify';
import type { TSchema } from 'typebox';
import type { AdminRouteConfig } from './admin-auth.js';
import { ErrorBody } from './http-schemas.js';

type Json = Record<string, unknown>;

/** What a route may put in `schema` besides the validated parts. */
export interface RouteDocs {
  readonly summary?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  /** Leave the route out of the document. */
  readonly hide?: boolean;
}

/** Gathers routes and named schemas into the OpenAPI document. */
export interface OpenApiCollector {
  /** Records a route; pass as an `onRoute` hook. */
  add(route: RouteOptions): void;
  /** Publishes `schema` as `#/components/schemas/<componentName>`. */
  name(schema: TSchema, componentName: string): void;
  /** The document of every route recorded so far. */
  document(): Json;
}

/** A collector for one server; `document()` reflects every route added before the call. */
export function createOpenApiCollector(info: { readonly title: string; readonly version: string }): OpenApiCollector {
  const names = new Map<object, string>([[ErrorBody, 'Error']]);
  const paths: Record<string, Record<string, Json>> = {};
  const ref = (schema: unknown): unknown => {
    const name = names.get(schema as object);
    return name ? { $ref: `#/components/schemas/${name}` } : schema;
  };
  const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ref(ErrorBody) } } });

  const operation = (route: RouteOptions): Json => {
    const schema = (route.schema ?? {}) as RouteDocs & { params?: TSchema; querystring?: TSchema; body?: TSchema; response?: Record<string, TSchema> };
    const isPublic = (route.config as AdminRouteConfig | undefined)?.adminPublic === true;
    const responses: Json = {};
    for (const [code, body] of Object.entries(schema.response ?? {})) {
      const description = (body as { description?: string }).description ?? STATUS_CODES[Number(code)] ?? code;
      const media = (body as { type?: unknown }).type === 'string' ? 'text/plain' : 'application/json';
      responses[code] = code === '204' ? { description } : { description, content: { [media]: { schema: ref(body) } } };
    }
    if (schema.body) {
      responses['413'] ??= errorResponse('The body is larger than admin_max_body_size');
      responses['415'] ??= errorResponse('The body is not application/json');
    }
    if (!isPublic) responses['401'] ??= errorResponse('The admin token is missing or wrong');
    responses['default'] = errorResponse('An error');
    return {
      operationId: operationId(route.method, route.url),
      ...(schema.summary ? { summary: schema.summary } : {}),
      ...(schema.description ? { description: schema.description } : {}),
      ...(schema.tags ? { tags: [...schema.tags] } : {}),
      parameters: [...parameters(schema.params, 'path'), ...parameters(schema.querystring, 'query')],
      ...(schema.body ? { requestBody: { required: true, content: { 'application/json': { schema: ref(schema.body) } } } } : {}),
      responses,
      ...(isPublic ? { security: [] } : {}),
    };
  };

  return {
    add(route) {
      if ((route.schema as RouteDocs | undefined)?.hide) return;
      const path = openApiPath(route.url);
      for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
        if (method === 'HEAD') continue;
        (paths[path] ??= {})[method.toLowerCase()] = operation({ ...route, method });
      }
    },
    name(schema, componentName) {
      names.set(schema, componentName);
    },
    document() {
      const schemas = Object.fromEntries([...names].map(([schema, name]) => [name, schema]));
      // A JSON round trip: plain data, detached from the live schema objects.
      return JSON.parse(
        JSON.stringify({
          openapi: '3.1.0',
          info: { title: info.title, version: info.version },
          components: {
            schemas,
            securitySchemes: {
              bearer: { type: 'http', scheme: 'bearer', description: 'the admin_token' },
              adminToken: { type: 'apiKey', in: 'header', name: 'Portcullis-Admin-Token', description: 'the admin_token' },
            },
          },
          security: [{ bearer: [] }, { adminToken: [] }],
          paths,
        }),
      ) as Json;
    },
  };
}

/** `/services/:service/routes` → `/services/{service}/routes`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)(\([^)]*\))?/g, '{$1}');
}

function parameters(schema: TSchema | undefined, where: 'path' | 'query'): Json[] {
  const object = schema as { properties?: Record<string, Json>; required?: string[] } | undefined;
  return Object.entries(object?.properties ?? {}).map(([name, prop]) => ({
    name,
    in: where,
    required: where === 'path' || (object?.required ?? []).includes(name),
    ...(typeof prop['description'] === 'string' ? { description: prop['description'] } : {}),
    schema: prop,
  }));
}

function operationId(method: RouteOptions['method'], url: string): string {
  const words = url.split(/[/:_-]+/).filter(Boolean);
  return String(method).toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}
