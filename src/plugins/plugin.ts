/**
 * The plugin interface. A plugin is a folder under `src/plugins/<name>/` exporting a
 * `PluginDefinition`: a config schema, a priority, and a factory that prepares an instance for
 * one configuration (expensive work happens there, once per config change, never per request).
 * An instance implements the phases it needs. `access` returns an outcome; it throws only for the
 * unexpected. Plugins depend on this file and on the deps passed in, never on each other.
 */
import type { AuthOutcomes } from '../observability/auth-outcomes.js';
import type { TObject } from 'typebox';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { Route } from '../entities/routes.js';
import type { Service } from '../entities/services.js';
import type { Consumer } from '../entities/consumers.js';
import type { ErrorCode } from '../errors/catalogue.js';
import type { ApiKeyVerifier } from '../apikeys/verifier/api-key-verifier.js';

/** What a plugin learns about the authenticated client. */
export interface AuthenticatedConsumer {
  readonly consumer: Pick<Consumer, 'id' | 'username' | 'custom_id'>;
  /** Public identifier of the credential used (an API key's id, a basic-auth credential's id). */
  readonly credentialId?: string;
}

export type AccessOutcome =
  /** Nothing to say: go on with the next plugin. */
  | { readonly kind: 'continue' }
  /** The request is authenticated as this consumer. */
  | ({ readonly kind: 'authenticated' } & AuthenticatedConsumer)
  /** Stop with a JSON error `{code, message}`. */
  | {
      readonly kind: 'reject';
      readonly status: number;
      readonly code: ErrorCode;
      readonly message?: string;
      readonly headers?: Readonly<Record<string, string>>;
    }
  /** Stop with this exact response (e.g. request-termination with a custom body, CORS preflight). */
  | { readonly kind: 'respond'; readonly status: number; readonly headers?: Readonly<Record<string, string>>; readonly body?: string | Buffer };

export const CONTINUE: Extract<AccessOutcome, { kind: 'continue' }> = Object.freeze({ kind: 'continue' });

/**
 * A request body the proxy inspects for plugins (see PluginInstance.readsBody and
 * removesBodyFields): a form or JSON body is buffered and parsed (before the access phase when a
 * plugin reads its fields, after it otherwise); a multipart body streams, its fields unread, and
 * is cut with 400 if a part that a plugin removed turns up.
 */
export interface RequestBodyFields {
  readonly type: 'form' | 'json' | 'multipart';
  /**
   * Every value of each top-level field, in body order: a form field or JSON member given twice
   * has two. Names are decoded (form: percent-decoding; JSON: escapes). A JSON value that is not a
   * string is `null`. Empty for multipart, and when no plugin of the chain reads the body
   * (see PluginInstance.removesBodyFields).
   */
  readonly fields: ReadonlyMap<string, readonly (string | null)[]>;
  /**
   * Removes, from the body sent upstream, every top-level field whose decoded name `match`
   * accepts (e.g. a credential, with hide_credentials); for multipart, such a part refuses the request.
   */
  remove(match: (name: string) => boolean): void;
}

/** The per-request state plugins read and change. */
export interface RequestContext {
  readonly req: IncomingMessage;
  readonly method: string;
  /** The request path without the query string, as received. */
  readonly path: string;
  /** The raw query string without `?` ('' when absent). */
  query: string;
  readonly requestId: string;
  readonly clientIp: string;
  readonly route: Route;
  readonly service: Service | null;
  /** Headers sent upstream (lower-case names). Plugins may add, change or delete entries. */
  readonly upstreamHeaders: Record<string, string | string[] | undefined>;
  /** Headers added to the response sent to the client. */
  readonly responseHeaders: Record<string, string | string[]>;
  /** Set once an authentication plugin succeeded. */
  authenticated: AuthenticatedConsumer | null;
  /** Private per-request data of plugins, keyed by plugin name. */
  readonly shared: Map<string, unknown>;
  /** The inspected body, when a plugin of the route reads the body and its type allows; null otherwise. */
  body: RequestBodyFields | null;
}

/** The upstream response as plugins see it in the `response` phase (headers only: bodies stream). */
export interface ResponseHead {
  status: number;
  readonly headers: Record<string, string | string[] | undefined>;
}

/**
 * The request about to be sent upstream, as `beforeUpstream` sees it. Its headers are
 * `ctx.upstreamHeaders`, which the hook may change (they are sent as the hook leaves them).
 */
export interface UpstreamRequest {
  readonly method: string;
  /** The path and query sent upstream (`/v1/items?page=2`), after every change of the access phase. */
  readonly target: string;
  /**
   * The body: its bytes when the proxy buffered it (see PluginInstance.buffersBodyUpTo), null when
   * the request has none, `streamed` when it goes upstream as it arrives (its bytes are unknown).
   */
  readonly body: Buffer | null | 'streamed';
  /** 1, then 2 when the request is sent again because a `retryUpstream` hook asked for it. */
  readonly attempt: 1 | 2;
}

/** What `beforeUpstream` answers: go on, or stop with a JSON error (e.g. credentials unobtainable). */
export type UpstreamOutcome = Extract<AccessOutcome, { kind: 'continue' | 'reject' }>;

export interface PluginInstance {
  /**
   * True when `access` reads body fields (key-auth with `key_in_body`): the proxy then buffers a
   * form or JSON body (up to `max_request_body_size`) before the access phase, gives its fields
   * in `ctx.body`, and sends the (possibly trimmed) buffer upstream. A multipart body streams
   * through a guard instead, its fields unread. Bodies of other types are neither buffered nor
   * inspected (`ctx.body` is null).
   */
  readonly readsBody?: boolean;
  /**
   * True when `access` may remove body fields without reading them (key-auth with
   * `hide_credentials`): `ctx.body` then records the removals (its `fields` are empty unless a
   * plugin of the chain reads them), and the proxy reads and trims a form or JSON body only once
   * the access phase let the request through, so a refused request's body is never read.
   */
  readonly removesBodyFields?: boolean;
  /**
   * A request body with a Content-Length up to this many bytes is read whole before
   * `beforeUpstream` runs, given to it as bytes, and can be sent again on a retry. A longer or
   * chunked body streams: `beforeUpstream` sees `streamed`, and the request is never retried.
   * The largest value of a chain applies; absent or 0: bodies stream.
   */
  readonly buffersBodyUpTo?: number;
  access?(ctx: RequestContext): AccessOutcome | Promise<AccessOutcome>;
  /**
   * Runs right before each attempt to send the request upstream (after the access phase, in
   * chain order, and again before a retry): sets credentials, signs what is sent.
   */
  beforeUpstream?(ctx: RequestContext, request: UpstreamRequest): UpstreamOutcome | Promise<UpstreamOutcome>;
  /**
   * Called when the first attempt's upstream answered `status` and the request can be sent again
   * (no body, or a buffered one). Answer false (synchronously, so the response is not held) to let
   * the answer through; true, or a promise of true, to have the proxy discard it and send the
   * request once more, `beforeUpstream` first. The second answer goes to the client, whatever it is.
   */
  retryUpstream?(ctx: RequestContext, status: number): boolean | Promise<boolean>;
  response?(ctx: RequestContext, head: ResponseHead): void;
  /** Called when the configuration is replaced or removed. */
  close?(): void;
}

/**
 * What a plugin factory may use: typed capabilities, each added here as the node gains it
 * (the API-key verifier, the credential lookups …). No global facade.
 */
export interface PluginDeps {
  readonly logger: Logger;
  /** The consumers known to this state build (for `anonymous` and for consumer headers). */
  readonly consumers?: ConsumerDirectory;
  /** The node's API-key verifier (key-auth). */
  readonly apiKeys?: ApiKeyVerifier;
  /** Basic-auth credential checks (basic-auth). */
  readonly basicAuth?: BasicAuthVerifier;
  /** Counts authentication decisions (`portcullis_auth_outcomes_total`); absent in tests that do not look. */
  readonly authOutcomes?: AuthOutcomes;
  /**
   * The vault references this configuration held before the prepare step resolved them (the
   * config passed to `create` holds the values). Absent when the config held none.
   */
  readonly secrets?: PluginSecrets;
}

/**
 * Rotation on failure for a plugin whose configuration came from vault references: when a
 * credential it was given is refused (an upstream's 401), it asks for the references again.
 */
export interface PluginSecrets {
  /** The references of the configuration, by dotted config path (`password`, `headers.0.value`). */
  readonly references: ReadonlyMap<string, string>;
  /**
   * Fetches the references at these paths (all when absent) again at once, bypassing their TTL;
   * concurrent calls for one reference share one backend call. Resolves to the field values by
   * path (a field embedding a reference, such as `Bearer {vault://…}`, comes back whole). A changed
   * value also rebuilds the proxy state, so later requests get a new instance. Rejects with a
   * PortcullisError (PC_VAULT_*) when a reference cannot be resolved.
   */
  refetch(paths?: readonly string[]): Promise<ReadonlyMap<string, string>>;
}

/** Consumers by id, and by id or username for references in plugin configs. */
export interface ConsumerDirectory {
  byId(id: string): Pick<Consumer, 'id' | 'username' | 'custom_id'> | undefined;
  /** Finds by id, username or custom_id. */
  find(ref: string): Pick<Consumer, 'id' | 'username' | 'custom_id'> | undefined;
}

/** What a basic-auth check says, as a value. */
export type BasicAuthCheck =
  | { readonly ok: true; readonly credentialId: string; readonly consumerId: string }
  | { readonly ok: false; readonly reason: 'unknown_username' | 'wrong_password' | 'overloaded' | 'store_unavailable' }
  /** Refused before any password check: too many failures for this username, address or both. */
  | { readonly ok: false; readonly reason: 'too_many_attempts'; readonly scope: 'pair' | 'address' | 'username'; readonly retryAfterSeconds: number };

/** Checks a basic-auth username and password presented from a client address. */
export interface BasicAuthVerifier {
  verify(username: string, password: string, clientAddress: string): Promise<BasicAuthCheck>;
}

export interface PluginDefinition<C extends Record<string, unknown> = Record<string, unknown>> {
  readonly name: string;
  /** Higher runs first (Kong's numbers: auth ≈ 1000–1250, request-termination 2, cors 2000). */
  readonly priority: number;
  readonly configSchema: TObject;
  /** Authentication plugins cannot be scoped to a consumer: the consumer is what they find. */
  readonly isAuthentication?: boolean;
  /** Whether the `access` phase runs for CORS preflight requests (OPTIONS with Origin). */
  runsOnPreflight?(config: C): boolean;
  create(config: C, deps: PluginDeps): PluginInstance;
}
