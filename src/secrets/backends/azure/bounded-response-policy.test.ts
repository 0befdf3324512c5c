/**
 * The response cap, against a stand-in for the transport (`next`): what reaches the policies above
 * it is the text, or a ResponseTooLargeError before more than the cap was read.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { boundedResponsePolicy, ResponseTooLargeError, type PipelinePolicy } from './bounded-response-policy.js';

type Request = Parameters<PipelinePolicy['sendRequest']>[0];
type Next = Parameters<PipelinePolicy['sendRequest']>[1];

function request(streamResponseStatusCodes?: Set<number>): Request {
  return { streamResponseStatusCodes } as unknown as Request;
}

/** A transport answering with `chunks`; records whether it was asked to stream and how much was pulled. */
function transport(chunks: readonly string[], headers: Record<string, string> = {}) {
  const seen = { streamed: false, pulled: 0 };
  const next: Next = async (req) => {
    seen.streamed = req.streamResponseStatusCodes?.has(Number.POSITIVE_INFINITY) ?? false;
    const body = Readable.from(
      (function* () {
        for (const c of chunks) {
          seen.pulled += c.length;
          yield Buffer.from(c);
        }
      })(),
    );
    return { status: 200, request: req, readableStreamBody: body, headers: { get: (name: string) => headers[name.toLowerCase()] } } as unknown as Awaited<
      ReturnType<Next>
    >;
  };
  return { next, seen };
}

describe('boundedResponsePolicy', () => {
  const policy = boundedResponsePolicy(1000);

  it('hands on an answer under the cap as text, as the transport would have, and puts the request back', async () => {
    const { next, seen } = transport(['{"value":', '"ünï"}']);
    const req = request();
    const response = await policy.sendRequest(req, next);
    assert.equal(seen.streamed, true, 'the transport was asked for the stream');
    assert.equal(response.bodyAsText, '{"value":"ünï"}');
    assert.equal(response.readableStreamBody, undefined);
    assert.equal(req.streamResponseStatusCodes, undefined, 'the request is as it was');
  });

  it('refuses an answer over the cap without reading much past it', async () => {
    const { next, seen } = transport(Array.from({ length: 100 }, () => 'x'.repeat(100)));
    await assert.rejects(policy.sendRequest(request(), next), (err) => err instanceof ResponseTooLargeError && /1000 bytes/.test(err.message));
    assert.ok(seen.pulled <= 1100, `read ${seen.pulled} bytes`);
  });

  it('refuses a declared Content-Length over the cap before reading', async () => {
    const { next, seen } = transport(['small'], { 'content-length': '5000000' });
    await assert.rejects(policy.sendRequest(request(), next), ResponseTooLargeError);
    assert.equal(seen.pulled, 0);
  });

  it('leaves a stream the caller asked for alone', async () => {
    const { next } = transport(['x'.repeat(5000)]);
    const wanted = new Set([200]);
    const req = request(wanted);
    const response = await policy.sendRequest(req, next);
    assert.ok(response.readableStreamBody, 'still a stream');
    assert.equal(req.streamResponseStatusCodes, wanted);
  });
});
