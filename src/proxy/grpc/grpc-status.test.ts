import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CATALOGUE, type ErrorCode } from '../../errors/catalogue.js';
import { GRPC_CODE_NAMES } from '../../util/grpc-codes.js';
import { encodeGrpcMessage, grpcCodeName, grpcCodeOfHttpAnswer, grpcStatusFor, GrpcStatus } from './grpc-status.js';

describe('grpcStatusFor', () => {
  // The proxy's own errors a gRPC client can meet, by code, and the status each must become.
  const cases: [ErrorCode, number][] = [
    ['PC_AUTH_KEY_INVALID', GrpcStatus.UNAUTHENTICATED],
    ['PC_AUTH_BASIC_INVALID', GrpcStatus.UNAUTHENTICATED],
    ['PC_PROXY_NO_ROUTE', GrpcStatus.UNIMPLEMENTED],
    ['PC_PROXY_UPSTREAM_UNAVAILABLE', GrpcStatus.UNAVAILABLE],
    ['PC_PROXY_UPSTREAM_ERROR', GrpcStatus.UNAVAILABLE],
    ['PC_PROXY_UPSTREAM_TLS_UNTRUSTED', GrpcStatus.UNAVAILABLE],
    ['PC_PROXY_UPSTREAM_TIMEOUT', GrpcStatus.DEADLINE_EXCEEDED],
    ['PC_PROXY_REQUEST_TERMINATED', GrpcStatus.UNAVAILABLE],
    ['PC_PROXY_NO_SERVICE', GrpcStatus.UNAVAILABLE],
    ['PC_AUTH_TOO_MANY_ATTEMPTS', GrpcStatus.RESOURCE_EXHAUSTED],
    ['PC_BODY_TOO_LARGE', GrpcStatus.RESOURCE_EXHAUSTED],
    ['PC_HEADERS_TOO_LARGE', GrpcStatus.RESOURCE_EXHAUSTED],
    ['PC_PROXY_HTTPS_REQUIRED', GrpcStatus.FAILED_PRECONDITION],
    ['PC_BAD_REQUEST', GrpcStatus.INVALID_ARGUMENT],
    ['PC_PROXY_PATH_REFUSED', GrpcStatus.INVALID_ARGUMENT],
    ['PC_INTERNAL', GrpcStatus.INTERNAL],
    ['PC_STORE_UNAVAILABLE', GrpcStatus.UNAVAILABLE],
  ];
  for (const [code, expected] of cases) {
    it(`maps ${code} (HTTP ${ERROR_CATALOGUE[code].status}) to gRPC ${expected}`, () => {
      assert.equal(grpcStatusFor(ERROR_CATALOGUE[code].status), expected);
    });
  }

  it('maps a 403 (a plugin denying access) to PERMISSION_DENIED', () => assert.equal(grpcStatusFor(403), GrpcStatus.PERMISSION_DENIED));

  it('maps statuses the table lacks to UNKNOWN, never to OK', () => {
    for (const status of [200, 204, 302, 409, 418, 599]) assert.equal(grpcStatusFor(status), GrpcStatus.UNKNOWN, String(status));
  });
});

describe('encodeGrpcMessage', () => {
  const cases: [string, string][] = [
    ['Unauthorized', 'Unauthorized'],
    ['No route matched this request', 'No route matched this request'],
    ['100% sure', '100%25 sure'],
    ['line\nbreak', 'line%0Abreak'],
    ['café', 'caf%C3%A9'],
    ["The upstream service's TLS certificate", "The upstream service's TLS certificate"],
    ['', ''],
  ];
  for (const [message, encoded] of cases) {
    it(`encodes ${JSON.stringify(message)} as ${JSON.stringify(encoded)}`, () => {
      assert.equal(encodeGrpcMessage(message), encoded);
      assert.equal(decodeURIComponent(encoded), message);
    });
  }
});

describe('grpcCodeName (the grpc_code metric label)', () => {
  it('names the 17 codes, and agrees with the codes the proxy writes', () => {
    assert.equal(GRPC_CODE_NAMES.length, 17);
    for (const [name, code] of Object.entries(GrpcStatus)) assert.equal(grpcCodeName(String(code)), name);
    assert.equal(grpcCodeName(['5', '7']), 'NOT_FOUND');
  });
  it('reads anything else as UNKNOWN, so an upstream cannot add label values', () => {
    for (const value of ['17', '99', '-1', ' 3', '3 ', '3.0', '0x1', '', 'OK', '100', undefined, 3, ['x'], []]) {
      assert.equal(grpcCodeName(value), 'UNKNOWN', JSON.stringify(value));
    }
  });
  it("maps an HTTP answer without grpc-status as gRPC's clients do", () => {
    const cases: [number, string][] = [
      [400, 'INTERNAL'],
      [401, 'UNAUTHENTICATED'],
      [403, 'PERMISSION_DENIED'],
      [404, 'UNIMPLEMENTED'],
      [429, 'UNAVAILABLE'],
      [502, 'UNAVAILABLE'],
      [503, 'UNAVAILABLE'],
      [504, 'UNAVAILABLE'],
      [500, 'UNKNOWN'],
      [302, 'UNKNOWN'],
    ];
    for (const [status, name] of cases) assert.equal(grpcCodeOfHttpAnswer(status), name, String(status));
  });
});
