/**
 * The `aws` vault's `config` (Kong's AWS Secrets Manager vault keys, plus `sts_endpoint_url`).
 * There are no credential fields: credentials come from the SDK's default chain (environment,
 * shared files and profiles, SSO, `credential_process`, web identity, container, EC2 metadata) of
 * the process, optionally exchanged through STS AssumeRole. Both endpoints are set here, by whoever
 * manages vaults, and never by a reference.
 */
import Type, { type Static } from 'typebox';

export const DEFAULT_ROLE_SESSION_NAME = 'portcullis';
const URL_PATTERN = '^https?://[^\\s/?#]+[^\\s]*$';

export const AwsBackendConfig = Type.Object(
  {
    region: Type.Optional(
      Type.String({
        pattern: '^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$',
        maxLength: 32,
        description: 'AWS region of the secrets (`eu-central-1`). Default: the region of the environment (`AWS_REGION`) or of the AWS profile.',
      }),
    ),
    endpoint_url: Type.Optional(
      Type.String({
        pattern: URL_PATTERN,
        maxLength: 2048,
        description:
          'Secrets Manager endpoint, with its scheme (a VPC endpoint `https://vpce-….secretsmanager.eu-central-1.vpce.amazonaws.com`). Default: the region’s public endpoint.',
      }),
    ),
    assume_role_arn: Type.Optional(
      Type.String({
        pattern: '^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\\w+=,.@/-]{1,512}$',
        maxLength: 2048,
        description: 'IAM role to assume through STS with the credentials of the environment; secrets are read as that role.',
      }),
    ),
    role_session_name: Type.String({
      pattern: '^[\\w+=,.@-]{2,64}$',
      default: DEFAULT_ROLE_SESSION_NAME,
      description: 'Session name of the assumed role (visible in CloudTrail).',
    }),
    sts_endpoint_url: Type.Optional(
      Type.String({
        pattern: URL_PATTERN,
        maxLength: 2048,
        description: 'STS endpoint used to assume `assume_role_arn`, with its scheme (a VPC endpoint). Default: the region’s STS endpoint.',
      }),
    ),
  },
  { additionalProperties: false },
);

/** The config as `create` receives it (`role_session_name` may be absent when defaults were not applied). */
export type AwsBackendConfig = Omit<Static<typeof AwsBackendConfig>, 'role_session_name'> & { readonly role_session_name?: string };
