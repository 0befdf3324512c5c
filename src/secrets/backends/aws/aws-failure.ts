/**
 * Turns what the AWS SDK throws into the backend contract's `VaultBackendError` kinds, with a
 * message that names the secret, the AWS error code, HTTP status and request id, and never text
 * the far side chose. AWS's own messages are left out on purpose: a SignatureDoesNotMatch message
 * can quote the canonical request (with its `x-amz-security-token`), and a body that fails to
 * parse surfaces as a SyntaxError quoting the body (a secret value, or credentials).
 *
 * Codes are the SDK's exception names: Secrets Manager's (API_GetSecretValue, CommonErrors), STS's
 * (modelled ones end in `Exception`; others keep the wire code, `AccessDenied`, `InvalidClientTokenId`).
 */
import { SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { VaultBackendError, type VaultFailureKind } from '../../vault-backend.js';
import { AnswerTooLargeError } from './capped-stream-collector.js';

/** Why a code was answered, in words for the operator; the kind follows from the row. */
const CODES: Readonly<Record<string, readonly [VaultFailureKind, string]>> = {
  ResourceNotFoundException: ['not_found', 'no such secret, version or staging label'],
  InvalidRequestException: ['not_found', 'the secret cannot be read in its current state (scheduled for deletion?)'],
  InvalidParameterException: ['not_found', 'the secret id or version is not valid'],
  ValidationException: ['not_found', 'the secret id or version is not valid'],
  AccessDeniedException: ['unauthorized', 'this identity may not read the secret (IAM or resource policy)'],
  AccessDenied: ['unauthorized', 'this identity may not assume the role'],
  DecryptionFailure: ['unauthorized', 'the secret’s KMS key cannot be used by this identity'],
  UnrecognizedClientException: ['unauthorized', 'the credentials were refused'],
  InvalidClientTokenId: ['unauthorized', 'the credentials were refused'],
  InvalidSignatureException: ['unauthorized', 'the request signature was refused'],
  SignatureDoesNotMatch: ['unauthorized', 'the request signature was refused'],
  IncompleteSignatureException: ['unauthorized', 'the request signature was refused'],
  IncompleteSignature: ['unauthorized', 'the request signature was refused'],
  MissingAuthenticationTokenException: ['unauthorized', 'the request carried no credentials'],
  MissingAuthenticationToken: ['unauthorized', 'the request carried no credentials'],
  ExpiredTokenException: ['unauthorized', 'the credentials have expired'],
  ExpiredToken: ['unauthorized', 'the credentials have expired'],
  InvalidIdentityTokenException: ['unauthorized', 'the web identity token was refused'],
  IDPRejectedClaimException: ['unauthorized', 'the web identity token was refused'],
  RegionDisabledException: ['unauthorized', 'STS is not enabled in this region for the account'],
  ThrottlingException: ['unavailable', 'throttled'],
  LimitExceededException: ['unavailable', 'a request quota was exceeded'],
  InternalServiceError: ['unavailable', 'a service error'],
  InternalFailure: ['unavailable', 'a service error'],
  ServiceUnavailable: ['unavailable', 'the service is unavailable'],
};

/**
 * Codes after which fetching credentials again can help: rotated or expired keys, a session token
 * or a web identity token file refreshed since they were read.
 */
const REFUSED_CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'ExpiredTokenException',
  'ExpiredToken',
  'InvalidIdentityTokenException',
]);

/** What the backend's own STS AssumeRole call threw, so messages name the role. */
export class AssumeRoleError extends Error {
  constructor(readonly error: unknown) {
    super('STS AssumeRole failed');
    this.name = 'AssumeRoleError';
  }
}

interface ServiceError {
  readonly name: string;
  readonly $metadata: { readonly httpStatusCode?: number; readonly requestId?: string };
}
const isServiceError = (err: unknown): err is ServiceError =>
  err instanceof Error && typeof (err as { $metadata?: unknown }).$metadata === 'object' && typeof (err as { $fault?: unknown }).$fault === 'string';

/** The code with which AWS refused the credentials themselves (worth obtaining them again once), else undefined. */
export function refusedCredentials(err: unknown): string | undefined {
  const inner = err instanceof AssumeRoleError ? err.error : err;
  return isServiceError(inner) && REFUSED_CREDENTIALS.has(inner.name) ? inner.name : undefined;
}

export interface FailureContext {
  readonly resource: string;
  readonly roleArn?: string;
  /** Set when the read's signal aborted: whatever was thrown, the read ran out of time. */
  readonly aborted: boolean;
}

const PROVIDER_ERRORS = new Set(['CredentialsProviderError', 'ProviderError', 'TokenProviderError']);
/** Node's network error codes (ECONNREFUSED, ENOTFOUND, ETIMEDOUT, CERT_HAS_EXPIRED …): names only. */
const ERROR_CODE = /^[A-Z][A-Z0-9_]{2,40}$/;
/**
 * An error code and a request id come from the far side (`__type`, `x-amzn-requestid`): shown only
 * when they look like one, so an endpoint echoing a session token cannot put it in a message.
 */
const AWS_CODE = /^[A-Za-z][A-Za-z0-9_.]{0,63}$/;
const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * Credential provider messages shown as they are: the SDK's own sentences, built from the profile
 * and file names of the configuration. Others are withheld: some providers wrap what failed
 * verbatim (`String(error)`), which can be a JSON parse error quoting a credentials answer, or the
 * failed `credential_process` command line with its output.
 */
const SDK_SENTENCE =
  /^(Could not load credentials from any providers|Could not resolve credentials using profile: |Profile [^\s]+ (was not found|could not be found|is not configured|did not contain|requires|credential_process (returned|did not))|The SSO session|Token is expired|EC2 Instance Metadata Service access disabled)/;
/** A service error a provider wrapped (`UnauthorizedException: …` from the SSO portal): its code alone is shown. */
const WRAPPED_CODE = /^([A-Z][A-Za-z]{2,63}(?:Exception|Error)): /;

function providerDetail(err: Error): string {
  const line = err.message.split('\n', 1)[0] ?? '';
  if (!SDK_SENTENCE.test(line)) {
    const code = WRAPPED_CODE.exec(line)?.[1];
    return `the credential chain failed (${err.name}${code ? `, ${code}` : ''})`;
  }
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** `why (Code, HTTP status, request id)` for a service error. */
function serviceDetail(err: ServiceError): { kind: VaultFailureKind; detail: string } {
  const [kind, why] = CODES[err.name] ?? ['unavailable', 'an unexpected answer'];
  const { httpStatusCode: status, requestId } = err.$metadata;
  const meta = [
    AWS_CODE.test(err.name) ? err.name : 'an unrecognised error code',
    status !== undefined && `HTTP ${status}`,
    requestId !== undefined && REQUEST_ID.test(requestId) && `request ${requestId}`,
  ];
  return { kind, detail: `${why} (${meta.filter(Boolean).join(', ')})` };
}

/** The error's name, and its Node error code when it has one (`Error, ECONNREFUSED`). */
function errorName(err: unknown): string {
  if (!(err instanceof Error)) return 'not an Error';
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && ERROR_CODE.test(code) ? `${err.name}, ${code}` : err.name;
}

/** The VaultBackendError for anything a read threw. */
export function awsFailure(err: unknown, context: FailureContext): VaultBackendError {
  if (err instanceof VaultBackendError) return err;
  const secret = `secret ${JSON.stringify(context.resource)}`;
  if (context.aborted) return new VaultBackendError('unavailable', `AWS Secrets Manager did not answer in time for ${secret}`);
  if (err instanceof AssumeRoleError) {
    const subject = `assuming role ${context.roleArn} to read ${secret} failed`;
    if (!isServiceError(err.error)) return new VaultBackendError('unavailable', `${subject} (${errorName(err.error)})`);
    const { kind, detail } = serviceDetail(err.error);
    return new VaultBackendError(kind, `${subject}: ${detail}`);
  }
  if (isServiceError(err)) {
    const { kind, detail } = serviceDetail(err);
    if (err instanceof SecretsManagerServiceException) return new VaultBackendError(kind, `AWS Secrets Manager could not read ${secret}: ${detail}`);
    return new VaultBackendError(kind, `obtaining AWS credentials to read ${secret} failed: ${detail}`);
  }
  if (err instanceof Error && PROVIDER_ERRORS.has(err.name))
    return new VaultBackendError('unauthorized', `no AWS credentials to read ${secret}: ${providerDetail(err)}`);
  if (err instanceof AnswerTooLargeError)
    return new VaultBackendError('unavailable', `AWS Secrets Manager's answer for ${secret} is larger than ${err.limit} bytes`);
  if (err instanceof Error && err.message === 'Region is missing')
    return new VaultBackendError('unavailable', `no AWS region to read ${secret}: set the vault's region, AWS_REGION or the profile's region`);
  return new VaultBackendError('unavailable', `reading ${secret} from AWS Secrets Manager failed (${errorName(err)})`);
}
