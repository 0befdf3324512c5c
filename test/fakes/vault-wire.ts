/**
 * What every part of the Vault fake (`vault-kv2.ts` and the engines and auth it routes to) answers
 * with: Vault's response envelope, its `{"errors": [...]}` error body, and the path helpers Vault's
 * router applies. Written from Vault's HTTP API overview (api-docs/index.mdx: "Error Response",
 * the envelope of every read) and `sdk/logical/response_util.go` (which error is which status).
 */
import { randomUUID } from 'node:crypto';

/** One answer of the fake: a status and a JSON body (none for 204), plus extra headers. */
export interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface EnvelopeExtras {
  readonly warnings?: readonly string[] | null;
  readonly lease_duration?: number;
  readonly renewable?: boolean;
  readonly auth?: unknown;
  readonly mount_type?: string;
}

/** Vault's envelope around every successful (and some 404) answers. */
export const envelope = (status: number, data: unknown, extras: EnvelopeExtras = {}): Answer => ({
  status,
  body: {
    request_id: randomUUID(),
    lease_id: '',
    renewable: extras.renewable ?? false,
    lease_duration: extras.lease_duration ?? 0,
    data,
    wrap_info: null,
    warnings: extras.warnings ?? null,
    auth: extras.auth ?? null,
    mount_type: extras.mount_type ?? 'kv',
  },
});

/** Vault's error body: `{"errors": []}` for a plain 404, messages otherwise. */
export const errors = (status: number, ...messages: string[]): Answer => ({ status, body: { errors: messages } });

export const noContent: Answer = { status: 204 };

/** Vault's answer to a token it does not know, that expired, or whose policy says no (never 401). */
export const permissionDenied = (): Answer => errors(403, 'permission denied');

export const trimSlashes = (s: string): string => s.replace(/^\/+|\/+$/g, '');

/** Vault routes on the decoded path: decode once, never twice. Null for a malformed escape. */
export const decodeOnce = (s: string): string | null => {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
};
