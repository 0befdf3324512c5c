/**
 * A stand-in for the GCE metadata server (what Compute Engine, GKE, Cloud Run and Cloud Functions
 * serve at 169.254.169.254), over plain HTTP on 127.0.0.1 so google-auth-library's application
 * default credentials find it through `GCE_METADATA_HOST`. Written from Google's documentation
 * (compute/docs/metadata/overview, querying-metadata, default-metadata-values;
 * compute/docs/access/authenticate-workloads "Applications on VMs": the token endpoint) and
 * gcp-metadata's client (src/index.ts: the `instance` probe, the header check):
 *
 * - Every request must carry `Metadata-Flavor: Google`, and a request with `X-Forwarded-For` is
 *   refused: both 403 with a text body, as the real server does. Every answer carries
 *   `Metadata-Flavor: Google` (the client refuses answers without it).
 * - `GET /computeMetadata/v1/instance` (the client's "is there a metadata server" probe) lists the
 *   directory; `…/project/project-id`, `…/project/numeric-project-id`,
 *   `…/instance/service-accounts/default/email` and `…/universe/universe-domain` are text;
 *   `…/instance/service-accounts/default/token[?scopes=a,b]` is `{access_token, expires_in,
 *   token_type: "Bearer"}`. Anything else is 404.
 *
 * Tests drive it with `revoke` / `failTokens` / `hang` and ask `isValidToken` (the Secret Manager
 * fake accepts what this server issued); `requests` records what came over the wire.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { constantTimeEqual } from '../../src/apikeys/hashing/constant-time-equal.js';
import { startFakeServer } from './fake-server.js';

export interface GcpMetadataFakeOptions {
  readonly projectId?: string;
  readonly projectNumber?: string;
  readonly serviceAccountEmail?: string;
  /** Seconds an issued token lives (`expires_in`). Default 3599, as Google answers. */
  readonly tokenLifetime?: number;
}

export interface GcpMetadataFakeRequest {
  readonly method: string;
  /** Raw path and query, as sent. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

export interface GcpMetadataFake {
  /** `host:port`, the value for `GCE_METADATA_HOST`. */
  readonly host: string;
  /** Tokens issued so far, oldest first. */
  readonly issued: readonly string[];
  /** True for a token this server issued that is neither revoked nor expired. */
  isValidToken(token: string): boolean;
  /** Revokes every token issued so far (a rotated or disabled service account). */
  revokeAll(): void;
  /** Answers token requests with this HTTP status (null: issue tokens again). */
  failTokens(status: number | null): void;
  /** Stops answering (requests hang) until called with false. */
  hang(on: boolean): void;
  readonly requests: readonly GcpMetadataFakeRequest[];
  close(): Promise<void>;
}

interface Issued {
  readonly token: Buffer;
  readonly expiresAt: number;
  revoked: boolean;
}

const V1 = '/computeMetadata/v1/';
const TOKEN_PATH = `${V1}instance/service-accounts/default/token`;

export async function startGcpMetadataFake(options: GcpMetadataFakeOptions = {}): Promise<GcpMetadataFake> {
  const projectId = options.projectId ?? 'portcullis-test';
  const text: Record<string, string> = {
    [`${V1}instance`]: 'attributes/\nhostname\nid\nname\nservice-accounts/\nzone\n',
    [`${V1}project/project-id`]: projectId,
    [`${V1}project/numeric-project-id`]: options.projectNumber ?? '123456789012',
    [`${V1}instance/service-accounts/default/email`]: options.serviceAccountEmail ?? `${projectId}-compute@developer.gserviceaccount.com`,
    [`${V1}universe/universe-domain`]: 'googleapis.com',
  };
  const issued: Issued[] = [];
  const requests: GcpMetadataFakeRequest[] = [];
  let tokenStatus: number | null = null;
  let hanging = false;
  const hung = new Set<ServerResponse>();

  function answer(res: ServerResponse, status: number, contentType: string, body: string): void {
    res.writeHead(status, { 'metadata-flavor': 'Google', 'content-type': contentType, server: 'Metadata Server for VM' }).end(body);
  }

  function issue(): string {
    const token = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    const lifetime = options.tokenLifetime ?? 3599;
    issued.push({ token: Buffer.from(token), expiresAt: Date.now() + lifetime * 1000, revoked: false });
    return JSON.stringify({ access_token: token, expires_in: lifetime, token_type: 'Bearer' });
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const rawUrl = req.url ?? '/';
    requests.push({ method: req.method ?? 'GET', path: rawUrl, headers: req.headers });
    if (hanging) {
      hung.add(res);
      return;
    }
    const path = rawUrl.split('?')[0] ?? '';
    if (req.headers['metadata-flavor'] !== 'Google') return answer(res, 403, 'text/html; charset=UTF-8', 'Missing Metadata-Flavor:Google header.\n');
    if (req.headers['x-forwarded-for'] !== undefined) return answer(res, 403, 'text/html; charset=UTF-8', 'Request denied: X-Forwarded-For header present.\n');
    if (req.method !== 'GET') return answer(res, 405, 'text/html; charset=UTF-8', 'Method not allowed.\n');
    if (path === TOKEN_PATH) {
      if (tokenStatus !== null) return answer(res, tokenStatus, 'text/html; charset=UTF-8', 'fake: token requests are failing\n');
      return answer(res, 200, 'application/json', issue());
    }
    const value = text[path];
    if (value === undefined) return answer(res, 404, 'text/html; charset=UTF-8', 'Not Found\n');
    answer(res, 200, 'application/text', value);
  }

  const server = await startFakeServer(handle);

  return {
    host: new URL(server.url).host,
    get issued() {
      return issued.map((i) => i.token.toString());
    },
    isValidToken(token) {
      const presented = Buffer.from(token);
      // Every issued token is compared, so the time taken does not say which one matched.
      let valid = false;
      for (const i of issued) if (constantTimeEqual(presented, i.token) && !i.revoked && i.expiresAt > Date.now()) valid = true;
      return valid;
    },
    revokeAll: () => issued.forEach((i) => (i.revoked = true)),
    failTokens: (status) => void (tokenStatus = status),
    hang(on) {
      hanging = on;
      if (!on) {
        for (const res of hung) res.destroy();
        hung.clear();
      }
    },
    requests,
    close: () => server.close(),
  };
}
