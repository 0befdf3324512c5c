/**
 * Checks the `service_account_key` a gcp vault is configured with before the Google client sees it.
 * Only `"type": "service_account"` keys are taken: the other credential types the client knows
 * (`external_account`, `impersonated_service_account` …) can name URLs, files or programs to
 * fetch tokens from, which a vault's config must not be able to do. The problem is described in
 * words of our own: a JSON parser's message quotes the text it failed on, which is a private key.
 */
import { createPrivateKey } from 'node:crypto';

/** The fields of a key file the Google client reads (it ignores the rest). */
export interface ServiceAccountKey {
  readonly type: 'service_account';
  readonly client_email: string;
  readonly private_key: string;
  readonly private_key_id?: string;
  readonly project_id?: string;
  readonly universe_domain?: string;
}

export type ServiceAccountKeyParse = { readonly ok: true; readonly key: ServiceAccountKey } | { readonly ok: false; readonly problem: string };

const optionalString = (v: unknown) => v === undefined || typeof v === 'string';

/** Parses the JSON text of a service-account key; the problem never quotes the text. */
export function parseServiceAccountKey(text: string): ServiceAccountKeyParse {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, problem: 'service_account_key is not JSON text' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, problem: 'service_account_key is not a JSON object' };
  const key = json as Record<string, unknown>;
  if (key['type'] !== 'service_account') return { ok: false, problem: 'service_account_key is not a service-account key ("type" must be "service_account")' };
  if (typeof key['client_email'] !== 'string' || !key['client_email'].includes('@')) {
    return { ok: false, problem: 'service_account_key has no client_email' };
  }
  if (typeof key['private_key'] !== 'string') return { ok: false, problem: 'service_account_key has no private_key' };
  if (!optionalString(key['private_key_id']) || !optionalString(key['project_id']) || !optionalString(key['universe_domain'])) {
    return { ok: false, problem: 'service_account_key has a field of the wrong type' };
  }
  try {
    if (createPrivateKey(key['private_key']).asymmetricKeyType !== 'rsa')
      return { ok: false, problem: 'the private_key of service_account_key is not an RSA key' };
  } catch {
    return { ok: false, problem: 'the private_key of service_account_key is not a PEM private key' };
  }
  return {
    ok: true,
    key: {
      type: 'service_account',
      client_email: key['client_email'],
      private_key: key['private_key'],
      ...(key['private_key_id'] === undefined ? {} : { private_key_id: key['private_key_id'] as string }),
      ...(key['project_id'] === undefined ? {} : { project_id: key['project_id'] as string }),
      ...(key['universe_domain'] === undefined ? {} : { universe_domain: key['universe_domain'] as string }),
    },
  };
}
