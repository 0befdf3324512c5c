/**
 * The Vault fake's AppRole and Kubernetes logins, written from Vault's auth docs
 * (api-docs/auth/approle.mdx "Login with AppRole", api-docs/auth/kubernetes.mdx "Login") and the
 * research note (shared/research/secret-backends-wire.md §2):
 *
 * - `POST auth/<approle mount>/login` `{"role_id", "secret_id"}`: a wrong pair is 400
 *   `invalid role or secret ID`; a missing field 400 `missing role_id` / `missing secret_id`.
 * - `POST auth/<kubernetes mount>/login` `{"role", "jwt"}`: an unknown role is 400
 *   `invalid role name "<role>"`; a JWT other than the fixture's (compared exactly: the fake cannot
 *   ask a real TokenReview) is 403 `permission denied`; a missing field 400 `missing role` / `missing jwt`.
 * - Success is the envelope with `data: null` and `auth: {client_token, lease_duration, renewable, …}`.
 *   Logins need no token; they happen inside the namespace the request names (checked by the router).
 */
import { constantTimeEqual } from '../../src/apikeys/hashing/constant-time-equal.js';
import { envelope, errors, permissionDenied, trimSlashes, type Answer } from './vault-wire.js';
import type { LoginTokenSettings, TokenStore } from './vault-tokens.js';

export interface AppRoleFixture extends LoginTokenSettings {
  /** Where the method is enabled; default `approle`. */
  readonly mount?: string;
  readonly roleId: string;
  readonly secretId: string;
  /** Default `portcullis`. */
  readonly roleName?: string;
}

export interface KubernetesFixture extends LoginTokenSettings {
  /** Where the method is enabled; default `kubernetes`. */
  readonly mount?: string;
  readonly role: string;
  /** The only service-account JWT the fake accepts. */
  readonly jwt: string;
}

export interface LoginFixtures {
  readonly approle?: AppRoleFixture;
  readonly kubernetes?: KubernetesFixture;
}

const same = (given: unknown, expected: string) => typeof given === 'string' && constantTimeEqual(Buffer.from(given), Buffer.from(expected));

/** Answers a login at `rest` (`auth/approle/login`), or null when `rest` is no login path of the fixtures. */
export function createLogins(fixtures: LoginFixtures, tokens: TokenStore): (method: string, rest: string, body: unknown) => Answer | null {
  const approlePath = fixtures.approle ? `auth/${trimSlashes(fixtures.approle.mount ?? 'approle')}/login` : null;
  const kubePath = fixtures.kubernetes ? `auth/${trimSlashes(fixtures.kubernetes.mount ?? 'kubernetes')}/login` : null;
  const login = (path: string, meta: Record<string, string>, settings: LoginTokenSettings): Answer =>
    envelope(200, null, { auth: tokens.issue(path, meta, settings), mount_type: '' });

  function approle(fixture: AppRoleFixture, path: string, body: Record<string, unknown>): Answer {
    if (typeof body['role_id'] !== 'string' || body['role_id'] === '') return errors(400, 'missing role_id');
    if (typeof body['secret_id'] !== 'string' || body['secret_id'] === '') return errors(400, 'missing secret_id');
    // Both compared, so the time taken does not tell which one was wrong.
    const roleOk = same(body['role_id'], fixture.roleId);
    const secretOk = same(body['secret_id'], fixture.secretId);
    if (!roleOk || !secretOk) return errors(400, 'invalid role or secret ID');
    return login(path, { role_name: fixture.roleName ?? 'portcullis' }, fixture);
  }

  function kubernetes(fixture: KubernetesFixture, path: string, body: Record<string, unknown>): Answer {
    if (typeof body['role'] !== 'string' || body['role'] === '') return errors(400, 'missing role');
    if (typeof body['jwt'] !== 'string' || body['jwt'] === '') return errors(400, 'missing jwt');
    if (body['role'] !== fixture.role) return errors(400, `invalid role name "${body['role']}"`);
    if (!same(body['jwt'], fixture.jwt)) return permissionDenied();
    return login(
      path,
      {
        role: fixture.role,
        service_account_name: 'portcullis',
        service_account_namespace: 'default',
        service_account_uid: '00000000-0000-4000-8000-000000000000',
      },
      fixture,
    );
  }

  return (method, rest, body) => {
    if (rest !== approlePath && rest !== kubePath) return null;
    if (method !== 'POST' && method !== 'PUT') return errors(405, '1 error occurred:\n\t* unsupported operation\n\n');
    const fields = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    return rest === approlePath ? approle(fixtures.approle!, rest, fields) : kubernetes(fixtures.kubernetes!, rest, fields);
  };
}
