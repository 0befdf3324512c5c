/**
 * The TLS fields of services (`tls_verify`, `tls_verify_depth`, `ca_certificates`,
 * `client_certificate`) and of routes (`https_redirect_status_code`) on SQLite and PostgreSQL:
 * defaults, bounds, https-only settings (a `url` that makes a service http must clear them), and a
 * client certificate kept from deletion while a service presents it.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { createAdminHarness, type AdminHarness } from '../../test/support/admin-harness.js';
import { createTestCa } from '../../test/support/certificates.js';

const UUID = '0b9a8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d';

for (const dialect of DIALECTS) {
  describe(`Admin API service and route TLS fields on ${dialect}`, () => {
    let database: TestDatabase;
    let h: AdminHarness;
    let clientId: string;

    before(async () => {
      database = await createTestDatabase(dialect);
      h = await createAdminHarness(database);
      const client = await (await createTestCa()).issue({ names: ['gateway.client'], client: true });
      clientId = (await h.call('POST', '/certificates', { cert: client.cert, key: client.key })).body.id;
    });
    after(async () => {
      await h.close();
      await database.drop();
    });

    describe('services: 201 / 200', () => {
      it('gives a new service null TLS settings: the defaults (verify https upstreams)', async () => {
        const res = await h.call('POST', '/services', { name: 'plain', url: 'http://plain.test' });
        assert.equal(res.status, 201);
        assert.deepEqual([res.body.tls_verify, res.body.tls_verify_depth, res.body.ca_certificates, res.body.client_certificate], [null, null, null, null]);
      });

      it('stores the TLS settings of an https service, the client certificate by id', async () => {
        const res = await h.call('POST', '/services', {
          name: 'mtls',
          url: 'https://mtls.test:8443',
          tls_verify: true,
          tls_verify_depth: 3,
          client_certificate: { id: clientId },
        });
        assert.equal(res.status, 201, res.text);
        assert.equal(res.body.tls_verify, true);
        assert.equal(res.body.tls_verify_depth, 3);
        assert.deepEqual(res.body.client_certificate, { id: clientId });
        const read = await h.call('GET', '/services/mtls');
        assert.deepEqual(read.body.client_certificate, { id: clientId });
        const parent = await h.call('GET', '/services/mtls/client_certificate');
        assert.equal(parent.body.id, clientId);
        assert.equal(parent.body.key, null);
        const nested = await h.call('GET', `/certificates/${clientId}/services`);
        assert.deepEqual(
          nested.body.data.map((s: { name: string }) => s.name),
          ['mtls'],
        );
      });

      it('accepts tls_verify false and the depth bounds 0 and 64', async () => {
        for (const [tls_verify, tls_verify_depth] of [
          [false, 0],
          [true, 64],
          [null, null],
        ] as const) {
          const res = await h.call('PATCH', '/services/mtls', { tls_verify, tls_verify_depth });
          assert.equal(res.status, 200, res.text);
          assert.deepEqual([res.body.tls_verify, res.body.tls_verify_depth], [tls_verify, tls_verify_depth]);
        }
      });

      it('turns a service to http when its url says so in the same write that clears its TLS settings', async () => {
        await h.call('POST', '/services', { name: 'downgrade', url: 'https://d.test', tls_verify: false, client_certificate: { id: clientId } });
        const res = await h.call('PATCH', '/services/downgrade', { url: 'http://d.test', tls_verify: null, client_certificate: null });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.protocol, 'http');
        assert.equal(res.body.port, 80);
      });
    });

    describe('services: 400', () => {
      const cases: [string, Record<string, unknown>, string][] = [
        ['tls_verify on an http service', { url: 'http://x.test', tls_verify: true }, 'tls_verify'],
        ['tls_verify_depth on an http service', { url: 'http://x.test', tls_verify_depth: 2 }, 'tls_verify_depth'],
        ['ca_certificates on an http service', { url: 'http://x.test', ca_certificates: [] }, 'ca_certificates'],
        ['a tls_verify_depth of 65', { url: 'https://x.test', tls_verify_depth: 65 }, 'tls_verify_depth'],
        ['a negative tls_verify_depth', { url: 'https://x.test', tls_verify_depth: -1 }, 'tls_verify_depth'],
        ['a tls_verify that is not a boolean', { url: 'https://x.test', tls_verify: 'yes' }, 'tls_verify'],
        ['an unknown client certificate', { url: 'https://x.test', client_certificate: { id: '3a2b1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d' } }, 'client_certificate'],
        ['a client certificate by name (certificates have none)', { url: 'https://x.test', client_certificate: { name: 'x' } }, 'client_certificate'],
        ['65 CA certificates', { url: 'https://x.test', ca_certificates: Array.from({ length: 65 }, () => randomUUID()) }, 'ca_certificates'],
        ['a CA certificate listed twice', { url: 'https://x.test', ca_certificates: [UUID, UUID] }, 'ca_certificates'],
      ];
      for (const [what, body, path] of cases) {
        it(`refuses ${what} with 400 naming ${path}`, async () => {
          const res = await h.call('POST', '/services', body);
          assert.equal(res.status, 400, res.text);
          assert.ok(
            res.body.fields.some((f: { path: string }) => f.path === path),
            JSON.stringify(res.body.fields),
          );
        });
      }

      it('refuses a url that turns a service with TLS settings to http, naming each setting', async () => {
        await h.call('POST', '/services', { name: 'keep-tls', url: 'https://k.test', tls_verify: true, client_certificate: { id: clientId } });
        const res = await h.call('PATCH', '/services/keep-tls', { url: 'http://k.test' });
        assert.equal(res.status, 400);
        assert.deepEqual(res.body.fields.map((f: { path: string }) => f.path).sort(), ['client_certificate', 'tls_verify']);
        assert.equal((await h.call('GET', '/services/keep-tls')).body.protocol, 'https', 'unchanged');
      });
    });

    describe('services: 409', () => {
      it('refuses to delete a certificate a service presents to its upstream, naming the service', async () => {
        const res = await h.call('DELETE', `/certificates/${clientId}`);
        assert.equal(res.status, 409);
        assert.equal(res.body.code, 'PC_STORE_REFERENCED');
        assert.match(res.body.message, /services .*"keep-tls".* \(client_certificate\)|services .*"mtls".* \(client_certificate\)/);
        assert.equal((await h.call('GET', `/certificates/${clientId}`)).status, 200);
      });
    });

    describe('routes: https_redirect_status_code', () => {
      it('defaults to 426', async () => {
        const res = await h.call('POST', '/routes', { name: 'r-default', paths: ['/d'], protocols: ['https'] });
        assert.equal(res.status, 201);
        assert.equal(res.body.https_redirect_status_code, 426);
      });

      for (const code of [426, 301, 302, 307, 308]) {
        it(`accepts ${code}`, async () => {
          const res = await h.call('POST', '/routes', { paths: [`/c${code}`], protocols: ['https'], https_redirect_status_code: code });
          assert.equal(res.status, 201, res.text);
          assert.equal(res.body.https_redirect_status_code, code);
          const patched = await h.call('PATCH', `/routes/${res.body.id}`, { https_redirect_status_code: 308 });
          assert.equal(patched.body.https_redirect_status_code, 308);
        });
      }

      for (const code of [200, 303, 400, 425, 0, '301', null]) {
        it(`refuses ${JSON.stringify(code)} with 400 naming https_redirect_status_code`, async () => {
          const res = await h.call('POST', '/routes', { paths: ['/bad'], https_redirect_status_code: code });
          assert.equal(res.status, 400);
          assert.equal(res.body.fields[0].path, 'https_redirect_status_code');
        });
      }
    });
  });
}
