import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { isGrpcRequest } from './grpc-call.js';

/** A request as the proxy sees it; `h2` gives it the stream an HTTP/2 request has. */
const request = (contentType: string | undefined, h2: boolean) =>
  ({
    headers: contentType === undefined ? {} : { 'content-type': contentType },
    ...(h2 ? { stream: { endAfterHeaders: false } } : {}),
  }) as unknown as IncomingMessage;

describe('isGrpcRequest', () => {
  const cases: [string | undefined, boolean, boolean][] = [
    ['application/grpc', true, true],
    ['application/grpc+proto', true, true],
    ['application/grpc+json', true, true],
    ['Application/GRPC', true, true],
    ['application/grpc; charset=utf-8', true, true],
    // HTTP/1.1 cannot carry gRPC (no trailers to its clients): never a call.
    ['application/grpc', false, false],
    ['application/grpc-web', true, false],
    ['application/grpc-web+proto', true, false],
    ['application/grpcx', true, false],
    ['application/json', true, false],
    ['application/grp', true, false],
    [undefined, true, false],
  ];
  for (const [type, h2, expected] of cases) {
    it(`${expected ? 'takes' : 'does not take'} ${JSON.stringify(type)} over HTTP/${h2 ? '2' : '1.1'} for a gRPC call`, () => {
      assert.equal(isGrpcRequest(request(type, h2)), expected);
    });
  }
});
