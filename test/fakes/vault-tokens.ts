/**
 * The Vault fake's token store, written from Vault's token auth docs (api-docs/auth/token.mdx:
 * lookup-self, renew-self) and concepts/tokens.mdx (TTL, max TTL, renewal):
 *
 * - The root token (the fake's `token` option) never expires and cannot be renewed.
 * - Logins (`vault-logins.ts`) issue service tokens with a TTL, a renewable flag and an optional
 *   max TTL; an expired or revoked token is unknown, so every request with it is 403.
 * - `GET|POST auth/token/lookup-self` answers the token's `data` (remaining `ttl`, `expire_time` …).
 * - `POST|PUT auth/token/renew-self` resets the TTL (capped by the max TTL, with Vault's warning)
 *   and answers the `auth` block a login answers; a non-renewable token gets 400.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { constantTimeEqual } from '../../src/apikeys/hashing/constant-time-equal.js';
import { envelope, errors, permissionDenied, type Answer } from './vault-wire.js';

/** How a login's tokens live. Seconds, as Vault speaks them on the wire. */
export interface LoginTokenSettings {
  /** Default 3600; 0 = no expiry. */
  readonly ttl?: number;
  /** Default true. */
  readonly renewable?: boolean;
  /** Seconds after issue past which renewal cannot go; 0 or absent = none. */
  readonly maxTtl?: number;
  /** Default `["default"]`. */
  readonly policies?: readonly string[];
}

interface IssuedToken {
  readonly id: string;
  readonly accessor: string;
  readonly path: string;
  readonly meta: Readonly<Record<string, string>>;
  readonly policies: readonly string[];
  readonly issuedAt: number;
  readonly ttl: number;
  readonly renewable: boolean;
  readonly maxTtl: number;
  /** ms since the epoch; Infinity when the token has no TTL. */
  expiresAt: number;
}

export interface TokenStore {
  /** Issues a token for a login at `path`; returns the login's `auth` block. */
  issue(path: string, meta: Record<string, string>, settings: LoginTokenSettings): Record<string, unknown>;
  /** True when `presented` is the root token or an issued token not expired nor revoked. */
  valid(presented: string | undefined): boolean;
  /** Answers `auth/token/…` for a valid token; null for other paths. */
  route(method: string, rest: string, presented: string): Answer | null;
  revoke(token: string): void;
  /** Every issued token expires now (as if its TTL had passed). */
  expireAll(): void;
  /** Every token issued so far, in order (for tests that check none leaks). */
  readonly issued: readonly string[];
}

export function createTokenStore(rootToken: string): TokenStore {
  const root = Buffer.from(rootToken);
  const tokens = new Map<string, IssuedToken>();
  const issued: string[] = [];
  const isRoot = (presented: string) => constantTimeEqual(Buffer.from(presented), root);
  const live = (presented: string): IssuedToken | null => {
    const t = tokens.get(presented);
    return t && Date.now() < t.expiresAt ? t : null;
  };
  const seconds = (ms: number) => Math.max(0, Math.floor(ms / 1000));

  const authBlock = (t: IssuedToken, lease: number) => ({
    client_token: t.id,
    accessor: t.accessor,
    policies: t.policies,
    token_policies: t.policies,
    metadata: t.meta,
    lease_duration: lease,
    renewable: t.renewable,
    entity_id: '',
    token_type: 'service',
    orphan: true,
    mfa_requirement: null,
    num_uses: 0,
  });

  function lookupSelf(presented: string): Answer {
    const t = live(presented);
    const iso = (ms: number) => new Date(ms).toISOString();
    if (!t) {
      return envelope(200, {
        id: presented,
        accessor: '',
        policies: ['root'],
        ttl: 0,
        creation_ttl: 0,
        expire_time: null,
        renewable: false,
        path: 'auth/token/root',
      });
    }
    return envelope(200, {
      id: t.id,
      accessor: t.accessor,
      policies: t.policies,
      ttl: t.expiresAt === Infinity ? 0 : seconds(t.expiresAt - Date.now()),
      creation_ttl: t.ttl,
      creation_time: seconds(t.issuedAt),
      expire_time: t.expiresAt === Infinity ? null : iso(t.expiresAt),
      issue_time: iso(t.issuedAt),
      explicit_max_ttl: 0,
      renewable: t.renewable,
      num_uses: 0,
      orphan: true,
      path: t.path,
      meta: t.meta,
      entity_id: '',
      display_name: t.path.replace(/\/login$/, '').replace(/\//g, '-'),
      type: 'service',
    });
  }

  function renewSelf(presented: string): Answer {
    const t = live(presented);
    if (!t || !t.renewable || t.ttl === 0) return errors(400, 'lease is not renewable');
    const now = Date.now();
    const cap = t.maxTtl > 0 ? seconds(t.issuedAt + t.maxTtl * 1000 - now) : Infinity;
    const lease = Math.min(t.ttl, cap);
    t.expiresAt = now + lease * 1000;
    const warnings = lease < t.ttl ? [`TTL of "${t.ttl}s" exceeded the effective max_ttl of "${lease}s"; TTL value is capped accordingly`] : null;
    return envelope(200, null, { auth: authBlock(t, lease), warnings, mount_type: 'token' });
  }

  return {
    issue(path, meta, settings) {
      const ttl = settings.ttl ?? 3600;
      const t: IssuedToken = {
        id: `hvs.${randomBytes(18).toString('base64url')}`,
        accessor: randomUUID(),
        path,
        meta,
        policies: settings.policies ?? ['default'],
        issuedAt: Date.now(),
        ttl,
        renewable: settings.renewable ?? true,
        maxTtl: settings.maxTtl ?? 0,
        expiresAt: ttl === 0 ? Infinity : Date.now() + ttl * 1000,
      };
      tokens.set(t.id, t);
      issued.push(t.id);
      return authBlock(t, ttl);
    },
    valid: (presented) => presented !== undefined && presented !== '' && (isRoot(presented) || live(presented) !== null),
    route(method, rest, presented) {
      if (rest === 'auth/token/lookup-self') return method === 'GET' || method === 'POST' ? lookupSelf(presented) : null;
      if (rest === 'auth/token/renew-self') return method === 'POST' || method === 'PUT' ? renewSelf(presented) : null;
      return rest.startsWith('auth/token/') ? permissionDenied() : null;
    },
    revoke: (token) => void tokens.delete(token),
    expireAll() {
      for (const t of tokens.values()) t.expiresAt = Math.min(t.expiresAt, Date.now());
    },
    issued,
  };
}
