/**
 * The `hcv` config the Vault tests start from: KV v2 at `secret` over HTTP on 127.0.0.1:8200,
 * logging in with AppRole at `approle`, and the Kubernetes settings at their defaults (a token file
 * that does not exist). Tests spread it and change what they are about (port, TLS, namespace …).
 */
import type { HcvConfig } from '../hcv-config.js';

/** An AppRole config for `roleId` / `secretId`; the caller overrides the rest by spreading. */
export function approleConfig(roleId: string, secretId: string): HcvConfig {
  return {
    protocol: 'http',
    host: '127.0.0.1',
    port: 8200,
    mount: 'secret',
    kv: 'v2',
    auth_method: 'approle',
    approle_auth_path: 'approle',
    approle_role_id: roleId,
    approle_secret_id: secretId,
    kube_auth_path: 'kubernetes',
    kube_api_token_file: '/nonexistent',
  };
}
