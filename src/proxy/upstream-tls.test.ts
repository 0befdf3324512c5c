import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from '../entities/services.js';
import { createTestCa, type TestCa, type TestCertificate } from '../../test/support/certificates.js';
import { createEntityFactory } from './testing/entities.js';
import { sniOf, upstreamTlsFor, type UpstreamTls, type UpstreamTlsLookup, type UpstreamTlsProblem } from './upstream-tls.js';

const make = createEntityFactory();

function serviceWith(fields: Record<string, unknown>): Service {
  return make.service({ protocol: 'https', host: 'api.example.test', port: 443, ...(fields as Partial<Service>) });
}

describe('upstreamTlsFor', () => {
  let ca: TestCa;
  let client: TestCertificate;
  let lookup: UpstreamTlsLookup;

  before(async () => {
    ca = await createTestCa();
    client = await ca.issue({ names: ['client'], client: true });
    const cas: Record<string, string | null> = { 'ca-1': ca.cert, 'ca-2': ca.cert.replace('\n', '\n\n'), broken: null };
    const clients: Record<string, { cert: string; key: string } | null> = { 'c-1': { cert: client.cert, key: client.key }, broken: null };
    lookup = { caCertificate: (id) => cas[id], clientCertificate: (id) => clients[id] };
  });

  it('defaults to verification against the system store, the host as SNI, no client certificate', () => {
    const tls = upstreamTlsFor(make.service({ protocol: 'https', host: 'api.example.test', port: 443 }), lookup) as UpstreamTls;
    assert.deepEqual(
      { ...tls, identity: typeof tls.identity },
      { verify: true, depth: null, ca: null, cert: null, key: null, servername: 'api.example.test', identity: 'string' },
    );
    assert.ok(Object.isFrozen(tls));
  });

  it('carries the service settings and the referenced PEMs in order', () => {
    const tls = upstreamTlsFor(
      serviceWith({ tls_verify: false, tls_verify_depth: 3, ca_certificates: ['ca-2', 'ca-1'], client_certificate: { id: 'c-1' } }),
      lookup,
    ) as UpstreamTls;
    assert.deepEqual([tls.verify, tls.depth, tls.ca, tls.cert, tls.key], [false, 3, [ca.cert.replace('\n', '\n\n'), ca.cert], client.cert, client.key]);
  });

  describe('identity', () => {
    const base = { tls_verify: true, tls_verify_depth: null, ca_certificates: ['ca-1'], client_certificate: { id: 'c-1' } };
    const variants: [string, Record<string, unknown>][] = [
      ['tls_verify', { tls_verify: false }],
      ['tls_verify_depth', { tls_verify_depth: 0 }],
      ['another CA list', { ca_certificates: ['ca-1', 'ca-2'] }],
      ['the CA list reordered', { ca_certificates: ['ca-2'] }],
      ['no CA list', { ca_certificates: null }],
      ['no client certificate', { client_certificate: null }],
      ['another host (SNI)', { host: 'other.example.test' }],
    ];
    it('is the same for the same settings, in another service object', () => {
      const a = upstreamTlsFor(serviceWith(base), lookup) as UpstreamTls;
      const b = upstreamTlsFor(serviceWith({ ...base, name: 'another' }), lookup) as UpstreamTls;
      assert.match(a.identity, /^[0-9a-f]{64}$/);
      assert.equal(a.identity, b.identity);
    });
    for (const [what, change] of variants) {
      it(`changes with ${what}`, () => {
        const a = upstreamTlsFor(serviceWith(base), lookup) as UpstreamTls;
        const b = upstreamTlsFor(serviceWith({ ...base, ...change }), lookup) as UpstreamTls;
        assert.notEqual(a.identity, b.identity);
      });
    }
    it('changes with the key alone (a rotated key for the same certificate)', () => {
      const rotated: UpstreamTlsLookup = { ...lookup, clientCertificate: () => ({ cert: client.cert, key: client.key.replace('\n', '\n\n') }) };
      const a = upstreamTlsFor(serviceWith(base), lookup) as UpstreamTls;
      const b = upstreamTlsFor(serviceWith(base), rotated) as UpstreamTls;
      assert.notEqual(a.identity, b.identity);
    });
  });

  describe("'unusable': a reference that cannot be honoured", () => {
    const cases: [string, Record<string, unknown>, UpstreamTlsProblem][] = [
      ['an unknown CA id', { ca_certificates: ['ca-1', 'nope'] }, { field: 'ca_certificates.1', id: 'nope', reason: 'missing' }],
      ['a CA that could not be loaded', { ca_certificates: ['broken'] }, { field: 'ca_certificates.0', id: 'broken', reason: 'unloadable' }],
      ['an unknown client certificate', { client_certificate: { id: 'nope' } }, { field: 'client_certificate', id: 'nope', reason: 'missing' }],
      [
        'a client certificate that could not be loaded',
        { client_certificate: { id: 'broken' } },
        { field: 'client_certificate', id: 'broken', reason: 'unloadable' },
      ],
      [
        'a missing CA even with tls_verify off',
        { tls_verify: false, ca_certificates: ['nope'] },
        { field: 'ca_certificates.0', id: 'nope', reason: 'missing' },
      ],
    ];
    for (const [name, fields, problem] of cases) {
      it(`is returned for ${name}, naming the field`, () => {
        const problems: UpstreamTlsProblem[] = [];
        assert.equal(
          upstreamTlsFor(serviceWith(fields), lookup, (p) => problems.push(p)),
          'unusable',
        );
        assert.deepEqual(problems, [problem]);
      });
    }
  });

  describe('sniOf', () => {
    const cases: [string, string | null][] = [
      ['api.example.test', 'api.example.test'],
      ['localhost', 'localhost'],
      ['127.0.0.1', null],
      ['[::1]', null],
      ['::1', null],
      ['[2001:db8::1]', null],
    ];
    for (const [host, sni] of cases) it(`${host} → ${sni}`, () => assert.equal(sniOf(host), sni));
  });
});
