import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Value from 'typebox/value';
import { normalizeService, ServiceInput, servicesDefinition, usesTls, type Service } from './services.js';

const serviceWith = (fields: Record<string, unknown>) => ({ ...servicesDefinition.defaults, host: 'upstream.test', ...fields }) as unknown as Service;

describe('service protocols', () => {
  it('accepts http, https, grpc and grpcs (Kong’s names) and refuses others', () => {
    for (const protocol of ['http', 'https', 'grpc', 'grpcs']) assert.equal(Value.Check(ServiceInput, { protocol }), true, protocol);
    for (const protocol of ['h2c', 'GRPC', 'grpc-web', 'ws', '']) assert.equal(Value.Check(ServiceInput, { protocol }), false, protocol);
  });

  it('expands a grpc or grpcs url, the port defaulting by protocol', () => {
    const cases: [string, string, number][] = [
      ['grpc://echo.test:50051', 'grpc', 50051],
      ['grpcs://echo.test:8443', 'grpcs', 8443],
      ['grpc://echo.test', 'grpc', 80],
      ['grpcs://echo.test', 'grpcs', 443],
      ['https://echo.test', 'https', 443],
    ];
    for (const [url, protocol, port] of cases) {
      assert.equal(Value.Check(ServiceInput, { url }), true, url);
      const out = normalizeService({ url });
      assert.deepEqual([out['protocol'], out['host'], out['port']], [protocol, 'echo.test', port], url);
    }
  });

  it('speaks TLS upstream for https and grpcs only', () => {
    const cases: [Service['protocol'], boolean][] = [
      ['http', false],
      ['https', true],
      ['grpc', false],
      ['grpcs', true],
    ];
    for (const [protocol, tls] of cases) assert.equal(usesTls(protocol), tls, protocol);
  });

  it('allows the upstream TLS settings on grpcs services and refuses them on grpc ones, naming the field', () => {
    assert.deepEqual(servicesDefinition.check!(serviceWith({ protocol: 'grpcs', tls_verify: false, tls_verify_depth: 2 })), []);
    for (const field of ['tls_verify', 'tls_verify_depth'] as const) {
      const errors = servicesDefinition.check!(serviceWith({ protocol: 'grpc', [field]: field === 'tls_verify' ? false : 2 }));
      assert.deepEqual(
        errors.map((e) => e.path),
        [field],
      );
    }
  });
});
