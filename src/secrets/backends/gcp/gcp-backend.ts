/**
 * The `gcp` backend: GCP Secret Manager through Google's official client. `{vault://gcp/db-password}`
 * reads the `latest` version of secret `db-password` in the vault's project (and `location`, for
 * regional secrets); `#3` reads version 3, `#prod` the version aliased `prod`.
 *
 * Credentials: the vault's `service_account_key`, or else application default credentials. For
 * ADC, GOOGLE_APPLICATION_CREDENTIALS comes from the node's `env` and is handed to the client as a
 * key file; the remaining steps (gcloud's application-default login under HOME / CLOUDSDK_CONFIG,
 * the metadata server at GCE_METADATA_HOST, METADATA_SERVER_DETECTION) happen inside
 * google-auth-library and gcp-metadata, which read `process.env` themselves and take no
 * environment argument: that is the one place this backend depends on the process environment.
 *
 * Tokens are the client's business: a key signs its own short-lived JWTs, the metadata server's
 * tokens are cached and renewed before expiry. When Secret Manager still refuses them
 * (UNAUTHENTICATED: a revoked token), the client is rebuilt, so credentials are obtained afresh,
 * and the read is tried once more. A failure to obtain credentials also drops the client, since it
 * would otherwise keep the failed discovery forever.
 */
import { VaultBackendError, type SecretRead, type VaultBackend, type VaultBackendDeps, type VaultBackendFactory } from '../../vault-backend.js';
import { GcpBackendConfig } from './gcp-backend-config.js';
import { gcpFailure, isRefusedCredential } from './gcp-failure.js';
import { SecretManagerConnection, type ConnectionSettings, type Exchange } from './secret-manager-connection.js';
import { secretManagerEndpoint } from './secret-manager-endpoint.js';
import { decodeSecretPayload } from './secret-payload.js';
import { secretVersionName } from './secret-version-name.js';
import { parseServiceAccountKey, type ServiceAccountKeyParse } from './service-account-key.js';
import { untilAborted } from '../../until-aborted.js';

/** Where the client connects and, for application default credentials, which key file it uses. */
function connectionSettings(config: GcpBackendConfig, env: VaultBackendDeps['env']): Omit<ConnectionSettings, 'key'> {
  const universe = env['GOOGLE_CLOUD_UNIVERSE_DOMAIN'] || 'googleapis.com';
  const file = env['GOOGLE_APPLICATION_CREDENTIALS'];
  return {
    ...secretManagerEndpoint(config, universe),
    projectId: config.project_id,
    universeDomain: universe,
    ...(file ? { credentialsFile: file } : {}),
  };
}

class GcpSecretManagerBackend implements VaultBackend {
  readonly #config: GcpBackendConfig;
  readonly #deps: VaultBackendDeps;
  readonly #key: ServiceAccountKeyParse | null;
  readonly #settings: Omit<ConnectionSettings, 'key'>;
  /** Where credentials come from, in words for messages. */
  readonly #credentialSource: string;
  #connection: SecretManagerConnection | null = null;

  constructor(config: GcpBackendConfig, deps: VaultBackendDeps) {
    this.#config = config;
    this.#deps = deps;
    this.#key = config.service_account_key === undefined ? null : parseServiceAccountKey(config.service_account_key);
    this.#settings = connectionSettings(config, deps.env);
    const file = this.#settings.credentialsFile;
    this.#credentialSource = this.#key
      ? 'service_account_key'
      : file
        ? `the key file ${file} (GOOGLE_APPLICATION_CREDENTIALS)`
        : 'application default credentials';
    if (deps.env['GOOGLE_SDK_NODE_LOGGING']) {
      deps.logger.warn(
        'GOOGLE_SDK_NODE_LOGGING is set: the Google client then writes Secret Manager answers (secret values) and request headers (access tokens) to stderr',
      );
    }
  }

  async read(resource: string, version: string | null, _options: Readonly<Record<string, string>>, signal: AbortSignal): Promise<SecretRead> {
    const name = secretVersionName(this.#config, resource, version);
    if (name === null) {
      throw new VaultBackendError('not_found', `"${resource}"${version === null ? '' : ` version "${version}"`} is not a Secret Manager secret id and version`);
    }
    if (this.#key?.ok === false) throw new VaultBackendError('unauthorized', `cannot read ${name}: ${this.#key.problem}`);
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(this.#deps.timeout)]);
    for (let attempt = 1; ; attempt++) {
      const connection = this.#connect();
      const exchange: Exchange = { sent: false };
      try {
        return decodeSecretPayload(await untilAborted(connection.access(name, deadline, exchange), deadline), name);
      } catch (err) {
        const refused = isRefusedCredential(err, exchange);
        if (refused || !exchange.sent) this.#drop(connection);
        if (refused && attempt === 1 && !deadline.aborted) continue;
        throw gcpFailure(err, { name, credentials: this.#credentialSource }, exchange, deadline.aborted);
      }
    }
  }

  #connect(): SecretManagerConnection {
    return (this.#connection ??= new SecretManagerConnection({ ...this.#settings, key: this.#key?.ok ? this.#key.key : null }));
  }

  #drop(connection: SecretManagerConnection): void {
    if (this.#connection === connection) this.#connection = null;
    void connection.close();
  }

  async close(): Promise<void> {
    const connection = this.#connection;
    this.#connection = null;
    await connection?.close();
  }
}

export const gcpBackend: VaultBackendFactory<GcpBackendConfig> = {
  name: 'gcp',
  description: 'Google Cloud Secret Manager, through the official client, with a service-account key or application default credentials.',
  configSchema: GcpBackendConfig,
  supportsVersions: true,
  // None: the project, location and endpoint are the vault's to choose, so a reference picks only
  // a secret and a version (Kong's `?project_id=` is not taken: make one vault per project).
  referenceOptions: [],
  create: (config, deps) => new GcpSecretManagerBackend(config, deps),
};
