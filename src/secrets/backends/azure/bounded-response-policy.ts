/**
 * A pipeline policy for the Azure clients that caps how much of an answer is read. Azure's HTTP
 * client buffers every body whole before anyone looks at it, so a hostile or broken vault (or
 * token endpoint) could make Portcullis hold gigabytes. This policy asks the transport for the raw
 * stream instead, reads at most `maxBytes`, and hands the text on as the transport would have, so
 * everything above it (the deserializer, the Key Vault challenge policy) sees an ordinary response.
 *
 * It runs after the retry phase (closest to the wire) and puts the request's own streaming wish
 * back before returning, so no other policy sees the change.
 */
import type { SecretClientOptions } from '@azure/keyvault-secrets';

/** The pipeline types, taken from the client's options so no transitive package is imported by name. */
export type PipelinePolicy = NonNullable<SecretClientOptions['additionalPolicies']>[number]['policy'];
type PipelineResponse = Awaited<ReturnType<PipelinePolicy['sendRequest']>>;

/** An answer over the cap; the backend reports it as `unavailable`. */
export class ResponseTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the answer is larger than ${maxBytes} bytes`);
    this.name = 'ResponseTooLargeError';
  }
}

/** Means "stream every status" to Azure's Node HTTP client. */
const EVERY_STATUS = new Set([Number.POSITIVE_INFINITY]);

export function boundedResponsePolicy(maxBytes: number): PipelinePolicy {
  return {
    name: 'portcullisBoundedResponse',
    async sendRequest(request, next) {
      const wanted = request.streamResponseStatusCodes;
      request.streamResponseStatusCodes = EVERY_STATUS;
      let response: PipelineResponse;
      try {
        response = await next(request);
      } finally {
        request.streamResponseStatusCodes = wanted;
      }
      const stream = response.readableStreamBody;
      const callerStreams = wanted?.has(Number.POSITIVE_INFINITY) || wanted?.has(response.status);
      if (!stream || callerStreams) return response;
      response.readableStreamBody = undefined;
      response.bodyAsText = await readAtMost(stream, maxBytes, response.headers.get('content-length'));
      return response;
    },
  };
}

async function readAtMost(stream: NodeJS.ReadableStream, maxBytes: number, declaredLength: string | undefined): Promise<string> {
  const destroy = () => (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
  if (declaredLength !== undefined && Number(declaredLength) > maxBytes) {
    destroy();
    throw new ResponseTooLargeError(maxBytes);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += bytes.length;
    if (total > maxBytes) {
      destroy();
      throw new ResponseTooLargeError(maxBytes);
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString('utf8');
}
