/**
 * Where the `aws` backend's credentials come from: the AWS SDK's default Node chain
 * (`fromNodeProviderChain`: environment keys, SSO, the shared config and credentials files with
 * their profiles, `credential_process`, the web identity token file, then the container endpoint
 * or EC2 instance metadata), optionally exchanged for a role's through STS AssumeRole.
 *
 * The environment: what the chain accepts as options is taken from `deps.env` (the profile, the
 * two shared files, the web identity token file, role and session name). The rest the SDK reads
 * from `process.env` itself and offers no option for (the environment keys, the container and
 * instance metadata variables, HOME for the SSO token cache, the endpoint variables); the node
 * passes `process.env` as `deps.env`, so both agree there. This module never reads `process.env`.
 *
 * Timeouts: the SDK's credential sources retry for seconds by default; here they try once within
 * `deps.timeout`, and STS calls too: the resolver decides when to try again.
 */
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import type { Logger } from 'pino';
import type { AwsBackendConfig } from './aws-backend-config.js';
import { DEFAULT_ROLE_SESSION_NAME } from './aws-backend-config.js';
import { AssumeRoleError } from './aws-failure.js';
import type { cappedStreamCollector } from './capped-stream-collector.js';

export type AwsCredentialProvider = ReturnType<typeof fromNodeProviderChain>;

export interface AwsCredentialsDeps {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly timeout: number;
  readonly logger: Logger;
  /** The SDK clients' HTTP handler options (timeouts), shared with the Secrets Manager client. */
  readonly requestHandler: { readonly connectionTimeout: number; readonly requestTimeout: number; readonly throwOnRequestTimeout: boolean };
  /** The answer-size cap, for the STS and SSO clients too. */
  readonly streamCollector: ReturnType<typeof cappedStreamCollector>;
}

export interface AwsCredentials {
  /** Credentials for the Secrets Manager client; `{forceRefresh: true}` obtains them again. */
  readonly provider: AwsCredentialProvider;
  close(): void;
}

/** Keeps only the defined entries, so an absent variable leaves the SDK's own default in place. */
function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The SDK's logger interface, fed to the credential chain: its warnings (several credential
 * sources set at once; expired instance credentials kept in use) reach the node's log instead of
 * the console. Debug lines are dropped: they echo provider errors verbatim.
 */
function sdkLogger(logger: Logger) {
  const ignore = () => undefined;
  return { trace: ignore, debug: ignore, info: ignore, warn: (m: unknown) => logger.warn(String(m)), error: (m: unknown) => logger.error(String(m)) };
}

/** The process's AWS credentials, as the SDK's default chain finds them, from `deps.env` where it takes options. */
function defaultChain(deps: AwsCredentialsDeps): AwsCredentialProvider {
  const { env } = deps;
  return fromNodeProviderChain({
    ...defined({
      profile: env['AWS_PROFILE'],
      filepath: env['AWS_SHARED_CREDENTIALS_FILE'],
      configFilepath: env['AWS_CONFIG_FILE'],
      webIdentityTokenFile: env['AWS_WEB_IDENTITY_TOKEN_FILE'],
      roleArn: env['AWS_ROLE_ARN'],
      roleSessionName: env['AWS_ROLE_SESSION_NAME'],
    }),
    // The chain runs when credentials are first needed, expire or are refused: reading the shared
    // files again then (the SDK caches them per process otherwise) picks up rotated keys.
    ignoreCache: true,
    timeout: deps.timeout,
    maxRetries: 0,
    logger: sdkLogger(deps.logger),
    // For the STS and SSO clients the chain makes (web identity, SSO, role profiles).
    clientConfig: { maxAttempts: 1, requestHandler: deps.requestHandler, streamCollector: deps.streamCollector },
  });
}

/**
 * Credentials of `config.assume_role_arn`, obtained from STS with `master`. Each call asks STS (the
 * Secrets Manager client caches the answer until 5 minutes before it expires); a forced refresh
 * first obtains the master credentials again, so rotated keys are picked up on both levels. The
 * master credentials are resolved before the call, so what fails there is the chain's failure and
 * what fails in the call is AssumeRole's (an AssumeRoleError, whose message names the role).
 */
function assumeRole(config: AwsBackendConfig & { assume_role_arn: string }, master: AwsCredentialProvider, deps: AwsCredentialsDeps) {
  const sts = new STSClient({
    ...defined({ region: config.region ?? deps.env['AWS_REGION'], profile: deps.env['AWS_PROFILE'], endpoint: config.sts_endpoint_url }),
    credentials: master,
    maxAttempts: 1,
    requestHandler: deps.requestHandler,
    streamCollector: deps.streamCollector,
  });
  const params = { RoleArn: config.assume_role_arn, RoleSessionName: config.role_session_name ?? DEFAULT_ROLE_SESSION_NAME };
  const provider: AwsCredentialProvider = async (properties) => {
    const forceRefresh = (properties as { forceRefresh?: boolean } | undefined)?.forceRefresh === true;
    await sts.config.credentials(forceRefresh ? { forceRefresh } : {});
    let Credentials;
    try {
      ({ Credentials } = await sts.send(new AssumeRoleCommand(params)));
    } catch (err) {
      throw new AssumeRoleError(err);
    }
    if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey) throw new AssumeRoleError(new Error('STS answered AssumeRole without credentials'));
    return {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      ...defined({ sessionToken: Credentials.SessionToken, expiration: Credentials.Expiration }),
    };
  };
  return { provider, close: () => sts.destroy() };
}

/** The credentials the backend signs with: the default chain's, or the assumed role's. */
export function createAwsCredentials(config: AwsBackendConfig, deps: AwsCredentialsDeps): AwsCredentials {
  const chain = defaultChain(deps);
  if (config.assume_role_arn === undefined) return { provider: chain, close: () => undefined };
  return assumeRole({ ...config, assume_role_arn: config.assume_role_arn }, chain, deps);
}
