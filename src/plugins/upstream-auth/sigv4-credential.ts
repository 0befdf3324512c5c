/**
 * Type `aws_sigv4`: each request to the upstream is signed with AWS Signature Version 4 by the
 * official signer (`@smithy/signature-v4` with `@smithy/hash-node`'s SHA-256), right before it is
 * sent, over the host, path and query actually sent (signed again before a retry). A buffered body
 * is signed by its SHA-256; a streamed one as `UNSIGNED-PAYLOAD`; both sent in
 * `X-Amz-Content-Sha256`. A session token goes in `X-Amz-Security-Token`. The client's own
 * signature headers never reach the upstream. For `s3` the path is not encoded again (S3's rule).
 */
import type { SignatureV4 } from '@smithy/signature-v4';
import { lazyModule } from '../../util/lazy-module.js';
import type { RequestContext, UpstreamOutcome, UpstreamRequest } from '../plugin.js';
import { CONTINUE } from '../plugin.js';
import { recordUsed, type CredentialUpdate, type UpstreamCredential } from './credential.js';
import { controlProblem } from './header-fields.js';
import { SIGNATURE_HEADERS, SIGV4_PURPOSE, UNSIGNED_PAYLOAD, signableRequest } from './sigv4-request.js';

export interface SigV4Keys {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string | undefined;
}

export interface SigV4Scope {
  readonly region: string;
  readonly service: string;
}

// Loaded when the first aws_sigv4 credential is made: a node without one never loads the signer
// (its packages were ~0.2 MB of source in the bundle's start-up chunk, plus what they build).
const signatureV4 = lazyModule<typeof import('@smithy/signature-v4')>('@smithy/signature-v4', SIGV4_PURPOSE);
const hashNode = lazyModule<typeof import('@smithy/hash-node')>('@smithy/hash-node', SIGV4_PURPOSE);

/** The aws_sigv4 credential of one plugin instance. */
export function createSigV4Credential(initial: SigV4Keys, scope: SigV4Scope): UpstreamCredential {
  const problem = keysProblem(initial);
  if (problem !== undefined) throw new Error(problem);
  let keys = initial;
  // One signer per version of the keys: it is also what a request records as the credential used.
  let signer = signerFor(keys, scope);

  return {
    async apply(ctx: RequestContext, request: UpstreamRequest): Promise<UpstreamOutcome> {
      const headers = ctx.upstreamHeaders;
      for (const name of SIGNATURE_HEADERS) delete headers[name];
      if (request.body === 'streamed') headers['x-amz-content-sha256'] = UNSIGNED_PAYLOAD;
      const used = signer;
      const signed = await used.sign(signableRequest(request, headers));
      for (const name of SIGNATURE_HEADERS) {
        const value = signed.headers[name];
        if (value !== undefined) headers[name] = value;
      }
      recordUsed(ctx, used);
      return CONTINUE;
    },
    current: () => signer,
    update(values): CredentialUpdate {
      const next: SigV4Keys = {
        accessKeyId: values.get('access_key_id') ?? keys.accessKeyId,
        secretAccessKey: values.get('secret_access_key') ?? keys.secretAccessKey,
        sessionToken: values.get('session_token') ?? keys.sessionToken,
      };
      const invalid = keysProblem(next);
      if (invalid !== undefined) return { kind: 'invalid', problem: invalid };
      if (next.accessKeyId === keys.accessKeyId && next.secretAccessKey === keys.secretAccessKey && next.sessionToken === keys.sessionToken) {
        return { kind: 'same' };
      }
      keys = next;
      signer = signerFor(keys, scope);
      return { kind: 'changed' };
    },
  };
}

function signerFor(keys: SigV4Keys, scope: SigV4Scope): SignatureV4 {
  const { Hash } = hashNode();
  return new (signatureV4().SignatureV4)({
    credentials: {
      accessKeyId: keys.accessKeyId,
      secretAccessKey: keys.secretAccessKey,
      ...(keys.sessionToken === undefined ? {} : { sessionToken: keys.sessionToken }),
    },
    region: scope.region,
    service: scope.service,
    sha256: Hash.bind(null, 'sha256'),
    // S3 signs the path as sent; every other service signs it encoded once more.
    uriEscapePath: scope.service !== 's3',
    applyChecksum: true,
  });
}

function keysProblem(keys: SigV4Keys): string | undefined {
  return (
    controlProblem('access_key_id', keys.accessKeyId) ??
    controlProblem('secret_access_key', keys.secretAccessKey) ??
    (keys.sessionToken === undefined ? undefined : controlProblem('session_token', keys.sessionToken))
  );
}
