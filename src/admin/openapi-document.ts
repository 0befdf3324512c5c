/**
 * The OpenAPI 3.1 document of the Admin API, built from the routes themselves: an `onRoute` hook
 * records each route's method, path and TypeBox schemas (params, querystring, body, response),
 * so the document lists exactly what is registered, extra routes included. Schemas given a name
 * with `name()` become components referred to by `$ref` wherever they occur (inside other schemas
 * too); the others are inlined. Every request body and response carries an example made from its
 * schema (openapi-examples.ts), every error response the shared `Error` schema with an example of
 * the catalogue code of its status, and every operation its 405 and 401 (unless public).
 */
import { STATUS_CODES } from 'node:http';
import type { RouteOptions } from 'fastify';
import type { TSchema } from 'typebox';
import type { AdminRouteConfig } from './admin-auth.js';
import { ERROR_CATALOGUE } from '../errors/catalogue.js';
import { ErrorBody } from './http-schemas.js';
import { exampleOf } from './openapi-examples.js';
import { constUnionsAsEnums } from './openapi-schema-view.js';
import { tagDefinitions } from './openapi-tags.js';
import type { OpenApiServer } from './openapi-servers.js';

type Json = Record<string, unknown>;

/** What a route may put in `schema` besides the validated parts. */
export interface RouteDocs {
  readonly summary?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  /** Leave the route out of the document. */
  readonly hide?: boolean;
}

type RouteSchema = RouteDocs & { params?: TSchema; querystring?: TSchema; body?: TSchema; response?: Record<string, TSchema> };

/** One method of a route, as `add` recorded it. */
interface RecordedRoute {
  readonly method: string;
  readonly url: string;
  readonly schema: Omit<RouteSchema, 'response'>;
  /** `schema.response` as [status, schema] pairs. */
  readonly response: readonly (readonly [string, TSchema])[];
  readonly isPublic: boolean;
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
export function createOpenApiCollector(info: {
  readonly title: string;
  readonly version: string;
  readonly servers: readonly OpenApiServer[];
}): OpenApiCollector {
  const names = new Map<object, string>([[ErrorBody, 'Error']]);
  const errorResponse = (description: string, status: string) => ({
    description,
    content: { 'application/json': { schema: ErrorBody, example: errorExample(status) } },
  });

  // What `add` recorded; the operations are made when the document is (an idle node never makes
  // them: 150 routes' operations with their examples held ~1 MB).
  const recorded: RecordedRoute[] = [];

  const operation = (route: RecordedRoute): Json => {
    const schema = route.schema;
    const isPublic = route.isPublic;
    const responses: Json = {};
    for (const [code, body] of route.response) {
      // The shared error schema's own description says nothing of the status: use the status's name.
      const own = body === ErrorBody ? undefined : (body as { description?: string }).description;
      const description = own ?? STATUS_CODES[Number(code)] ?? code;
      const media = (body as { type?: unknown }).type === 'string' ? 'text/plain' : 'application/json';
      const example = body === ErrorBody ? errorExample(code) : exampleOf(body);
      responses[code] = code === '204' ? { description } : { description, content: { [media]: { schema: body, example } } };
    }
    if (schema.body) {
      responses['413'] ??= errorResponse('The body is larger than admin_max_body_size', '413');
      responses['415'] ??= errorResponse('The body is of a media type the Admin API does not read', '415');
    }
    if (!isPublic) responses['401'] ??= errorResponse('The admin token is missing or wrong', '401');
    responses['405'] ??= errorResponse('The path exists, not with this method (the `Allow` header lists those it has)', '405');
    responses['default'] = errorResponse('An error', '500');
    return {
      operationId: operationId(route.method, route.url),
      ...(schema.summary ? { summary: schema.summary } : {}),
      ...(schema.description ? { description: schema.description } : {}),
      ...(schema.tags ? { tags: [...schema.tags] } : {}),
      parameters: [...parameters(schema.params, 'path'), ...parameters(schema.querystring, 'query')],
      ...(schema.body ? { requestBody: requestBody(schema.body) } : {}),
      responses,
      ...(isPublic ? { security: [] } : {}),
    };
  };

  return {
    add(route) {
      const schema = (route.schema ?? {}) as RouteSchema;
      if (schema.hide) return;
      const isPublic = (route.config as AdminRouteConfig | undefined)?.adminPublic === true;
      // The response schemas as pairs: an object keyed by status codes keeps V8 array storage
      // up to its highest code (4 KB for a 404).
      const { response: byStatus, ...rest } = schema;
      const response = Object.entries(byStatus ?? {});
      for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
        if (method !== 'HEAD') recorded.push({ method, url: route.url, schema: rest, response, isPublic });
      }
    },
    name(schema, componentName) {
      names.set(schema, componentName);
    },
    document() {
      const paths: Record<string, Record<string, Json>> = {};
      const tags = new Set(recorded.flatMap((route) => route.schema.tags ?? []));
      for (const route of recorded) (paths[openApiPath(route.url)] ??= {})[route.method.toLowerCase()] = operation(route);
      const schemas = Object.fromEntries([...names].map(([schema, name]) => [name, schema]));
      // A JSON round trip: plain data, detached from the live schema objects. A named schema met
      // anywhere but as its own component becomes a `$ref` to it.
      const document = JSON.parse(
        JSON.stringify(
          {
            openapi: '3.1.0',
            info: {
              title: info.title,
              version: info.version,
              description: INFO_DESCRIPTION,
              license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
              contact: { name: 'Portcullis maintainers' },
            },
            servers: info.servers,
            tags: tagDefinitions(tags),
            components: {
              schemas,
              securitySchemes: {
                bearer: { type: 'http', scheme: 'bearer', description: 'the admin_token' },
                adminToken: { type: 'apiKey', in: 'header', name: 'Portcullis-Admin-Token', description: 'the admin_token' },
              },
            },
            security: [{ bearer: [] }, { adminToken: [] }],
            paths,
          },
          function (this: unknown, _key, value: unknown) {
            const name = value && typeof value === 'object' && this !== schemas ? names.get(value) : undefined;
            return name ? { $ref: `#/components/schemas/${name}` } : value;
          },
        ),
      ) as Json;
      constUnionsAsEnums(document);
      return document;
    },
  };
}

/**
 * A body is read as JSON or, like Kong, as a form (`forms/form-body-parser.ts`): the same schema
 * and validation, with dotted names for nested members (`config.minute=5`) and a repeated name
 * for each array element (`tags=a&tags=b`).
 */
function requestBody(body: TSchema): Json {
  const example = exampleOf(body);
  const form = { schema: body, example };
  return {
    required: true,
    description: FORM_DESCRIPTION,
    content: { 'application/json': { schema: body, example }, 'application/x-www-form-urlencoded': form, 'multipart/form-data': form },
  };
}

const FORM_DESCRIPTION =
  'JSON, or a form with the same fields: nested members by dotted names (`config.minute=5`), arrays by repeating the name (`tags=a&tags=b`) or with `[]` (`paths[]=/a`); ' +
  'values are converted to the schema’s types before the same validation.';

const INFO_DESCRIPTION =
  'The Admin API of a Portcullis node: services, routes, consumers and plugins (Kong-style), API keys, the keyring that ' +
  'encrypts fields at rest, vaults and cluster state. Every call needs the admin token (`Authorization: Bearer …` or ' +
  '`Portcullis-Admin-Token`) when `admin_token` is set; every error is `{code, message, fields?}` with a code from docs/errors.md.';

/** An `Error` body with the first catalogue code of this status (`PC_INTERNAL` for the default response). */
function errorExample(status: string): Json {
  const entry = Object.entries(ERROR_CATALOGUE).find(([, e]) => String(e.status) === status) ?? ['PC_INTERNAL', ERROR_CATALOGUE.PC_INTERNAL];
  return { code: entry[0], message: entry[1].message };
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

function operationId(method: string, url: string): string {
  const words = url.split(/[/:_-]+/).filter(Boolean);
  return String(method).toLowerCase() + words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
}
