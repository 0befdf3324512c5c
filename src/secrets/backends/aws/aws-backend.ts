/**
 * The `aws` vault backend: AWS Secrets Manager's GetSecretValue through the official SDK
 * (`@aws-sdk/client-secrets-manager`), signed with the credentials of the SDK's default chain or of
 * an assumed role (./aws-credentials.ts).
 *
 * - `{vault://<prefix>/<secret name or ARN>[/<json key>]}` reads the `AWSCURRENT` version;
 *   `#<VersionId>` reads that version, and Kong's `#1` / `#2` read `AWSCURRENT` / `AWSPREVIOUS`.
 * - `SecretString` is returned as is; `SecretBinary` as its UTF-8 text (not UTF-8: not_found).
 * - No reference options: the region, endpoints and role are the vault's config alone.
 * - One client per backend (connections and cached credentials reused), destroyed by `close`.
 *   The SDK tries a call at most twice (one quick retry of a dropped connection or a 5xx); the
 *   resolver retries beyond that. Answers (Secrets Manager's, STS's, SSO's) are capped at 1 MiB.
 * - Credentials AWS refuses (rotated keys, an expired session, a refreshed token file) are obtained
 *   again once, and the read is tried once more with them.
 */
import { GetSecretValueCommand, SecretsManagerClient, type GetSecretValueCommandOutput } from '@aws-sdk/client-secrets-manager';
import { VaultBackendError, type SecretRead, type VaultBackend, type VaultBackendDeps, type VaultBackendFactory } from '../../vault-backend.js';
import { AwsBackendConfig } from './aws-backend-config.js';
import { createAwsCredentials } from './aws-credentials.js';
import { awsFailure, refusedCredentials } from './aws-failure.js';
import { cappedStreamCollector } from './capped-stream-collector.js';
import { untilAborted } from '../../until-aborted.js';

/** Kong's version numbers for the AWS vault: `#1` is the current version, `#2` the previous one. */
const KONG_STAGES: Readonly<Record<string, string>> = { '1': 'AWSCURRENT', '2': 'AWSPREVIOUS' };
/** GetSecretValue's limits: SecretId 1–2048 characters, VersionId 32–64. */
const SECRET_ID = /^[^\x00-\x1f\x7f]{1,2048}$/;
const VERSION_ID = /^[\x21-\x7e]{32,64}$/;

function getSecretValueInput(resource: string, version: string | null): { SecretId: string; VersionId?: string; VersionStage?: string } {
  if (!SECRET_ID.test(resource)) throw new VaultBackendError('not_found', `${JSON.stringify(resource)} is not a Secrets Manager secret name or ARN`);
  if (version === null) return { SecretId: resource };
  const stage = KONG_STAGES[version];
  if (stage !== undefined) return { SecretId: resource, VersionStage: stage };
  if (VERSION_ID.test(version)) return { SecretId: resource, VersionId: version };
  throw new VaultBackendError(
    'not_found',
    `secret ${JSON.stringify(resource)}: version ${JSON.stringify(version)} is neither a VersionId (32 to 64 characters) nor 1 (AWSCURRENT) or 2 (AWSPREVIOUS)`,
  );
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function secretRead(resource: string, output: GetSecretValueCommandOutput): SecretRead {
  const version = output.VersionId === undefined ? {} : { version: output.VersionId };
  if (typeof output.SecretString === 'string') return { value: output.SecretString, ...version };
  if (output.SecretBinary instanceof Uint8Array) {
    try {
      return { value: utf8.decode(output.SecretBinary), ...version };
    } catch {
      throw new VaultBackendError('not_found', `secret ${JSON.stringify(resource)} holds binary data that is not UTF-8 text`);
    }
  }
  throw new VaultBackendError('not_found', `secret ${JSON.stringify(resource)} has no value in this version`);
}

export function createAwsSecretsManagerBackend(config: AwsBackendConfig, deps: VaultBackendDeps): VaultBackend {
  const requestHandler = { connectionTimeout: deps.timeout, requestTimeout: deps.timeout, throwOnRequestTimeout: true };
  const streamCollector = cappedStreamCollector();
  const credentials = createAwsCredentials(config, { env: deps.env, timeout: deps.timeout, logger: deps.logger, requestHandler, streamCollector });
  const region = config.region ?? deps.env['AWS_REGION'];
  const client = new SecretsManagerClient({
    ...(region === undefined ? {} : { region }),
    ...(deps.env['AWS_PROFILE'] === undefined ? {} : { profile: deps.env['AWS_PROFILE'] }),
    ...(config.endpoint_url === undefined ? {} : { endpoint: config.endpoint_url }),
    credentials: credentials.provider,
    maxAttempts: 2,
    requestHandler,
    streamCollector,
  });

  return {
    async read(resource, version, _options, signal) {
      const input = getSecretValueInput(resource, version);
      const context = () => ({ resource, aborted: signal.aborted, ...(config.assume_role_arn ? { roleArn: config.assume_role_arn } : {}) });
      const send = () => untilAborted(client.send(new GetSecretValueCommand(input), { abortSignal: signal }), signal);
      let output: GetSecretValueCommandOutput;
      try {
        output = await send();
      } catch (refused) {
        const code = refusedCredentials(refused);
        if (signal.aborted || code === undefined) throw awsFailure(refused, context());
        deps.logger.debug({ vault_backend: 'aws', code }, 'AWS refused the credentials: obtaining them again for one more try');
        try {
          await untilAborted(client.config.credentials({ forceRefresh: true }), signal);
          output = await send();
        } catch (err) {
          throw awsFailure(err, context());
        }
      }
      return secretRead(resource, output);
    },
    close() {
      client.destroy();
      credentials.close();
    },
  };
}

export const awsBackend: VaultBackendFactory<AwsBackendConfig> = {
  name: 'aws',
  description: 'AWS Secrets Manager, with the credentials of the AWS SDK default chain, optionally through an assumed IAM role.',
  configSchema: AwsBackendConfig,
  supportsVersions: true,
  referenceOptions: [],
  create: createAwsSecretsManagerBackend,
};
