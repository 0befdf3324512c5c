/**
 * `/snis` and `/certificates/{certificate}/snis` on SQLite and PostgreSQL: the name rules (a table
 * of names accepted and refused), lowercase storage and lookup, the certificate a name needs, one
 * certificate per name, and SNIs going with their certificate.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { createAdminHarness, type AdminHarness } from '../../test/support/admin-harness.js';
import { createSelfSignedTestCertificate } from '../../test/support/certificates.js';

const GOOD: [string, string][] = [
  ['plain.test', 'plain.test'],
  ['Mixed.Case.TEST', 'mixed.case.test'],
  ['*.wild.test', '*.wild.test'],
  ['*.internal', '*.internal'],
  ['xn--bcher-kva.test', 'xn--bcher-kva.test'],
  ['localhost', 'localhost'],
  [`${'a'.repeat(63)}.test`, `${'a'.repeat(63)}.test`],
];

const BAD: [string, string, RegExp][] = [
  ['a bare *', '*', /bare \*/],
  ['a wildcard not leftmost', 'a.*.test', /whole leftmost label/],
  ['a rightmost wildcard', 'wild.*', /whole leftmost label/],
  ['a partial wildcard label', 'w*.test', /whole leftmost label/],
  ['a port', 'port.test:8443', /port/],
  ['an IPv4 address', '192.0.2.1', /IP address/],
  ['an IPv6 address', '2001:db8::1', /IP address/],
  ['non-ASCII', 'bücher.test', /punycode/],
  ['a trailing dot', 'dot.test.', /end with a dot/],
  ['an underscore', 'under_score.test', /letters, digits, hyphens and dots/],
  ['a label of 64 characters', `${'a'.repeat(64)}.test`, /longer than 63/],
  ['254 characters', `${'a.'.repeat(126)}ab`, /253/],
];

for (const dialect of DIALECTS) {
  describe(`Admin API /snis on ${dialect}`, () => {
    let database: TestDatabase;
    let h: AdminHarness;
    let certificateId: string;
    let otherId: string;

    before(async () => {
      database = await createTestDatabase(dialect);
      h = await createAdminHarness(database);
      const pair = await createSelfSignedTestCertificate({ names: ['sni.test'] });
      certificateId = (await h.call('POST', '/certificates', { cert: pair.cert, key: pair.key })).body.id;
      otherId = (await h.call('POST', '/certificates', { cert: pair.cert, key: pair.key })).body.id;
    });
    after(async () => {
      await h.close();
      await database.drop();
    });

    describe('201 / 200 / 204', () => {
      for (const [name, stored] of GOOD) {
        it(`creates an SNI named ${name.length > 30 ? `with a 63-character label` : name}, stored as ${stored.length > 30 ? 'given' : stored}`, async () => {
          const res = await h.call('POST', '/snis', { name, certificate: { id: certificateId } });
          assert.equal(res.status, 201, res.text);
          assert.equal(res.body.name, stored);
          assert.deepEqual(res.body.certificate, { id: certificateId });
          assert.deepEqual(res.body.tags, []);
        });
      }

      it('finds an SNI by name in any case, and by id', async () => {
        const byName = await h.call('GET', '/snis/MIXED.case.test');
        assert.equal(byName.status, 200);
        assert.equal(byName.body.name, 'mixed.case.test');
        assert.equal((await h.call('GET', `/snis/${byName.body.id}`)).body.name, 'mixed.case.test');
        assert.equal((await h.call('GET', '/snis/*.wild.test')).status, 200);
      });

      it('creates under /certificates/{certificate}/snis with the certificate from the path, and lists it there', async () => {
        const res = await h.call('POST', `/certificates/${otherId}/snis`, { name: 'nested.test' });
        assert.equal(res.status, 201);
        assert.deepEqual(res.body.certificate, { id: otherId });
        const listed = await h.call('GET', `/certificates/${otherId}/snis`);
        assert.deepEqual(
          listed.body.data.map((s: { name: string }) => s.name),
          ['nested.test'],
        );
        assert.deepEqual((await h.call('GET', `/certificates/${otherId}`)).body.snis, ['nested.test']);
      });

      it('moves an SNI to another certificate with a PATCH, and creates then replaces one with PUT by name in any case', async () => {
        const moved = await h.call('PATCH', '/snis/plain.test', { certificate: { id: otherId } });
        assert.equal(moved.status, 200);
        assert.deepEqual(moved.body.certificate, { id: otherId });
        const put = await h.call('PUT', '/snis/Put.Name.test', { certificate: { id: certificateId } });
        assert.equal(put.status, 201, put.text);
        assert.equal(put.body.name, 'put.name.test');
        assert.equal((await h.call('PUT', '/snis/put.name.test', { certificate: { id: otherId } })).status, 200, 'the same name, any case');
        assert.equal((await h.call('PUT', '/snis/put.name.test', { name: 'PUT.name.test', certificate: { id: otherId } })).status, 200);
        const renamed = await h.call('PUT', '/snis/put.name.test', { name: 'other.name.test', certificate: { id: otherId } });
        assert.equal(renamed.status, 400, 'a body naming another SNI than the path');
      });

      it('deletes an SNI (204) without touching its certificate', async () => {
        assert.equal((await h.call('DELETE', '/snis/localhost')).status, 204);
        assert.equal((await h.call('GET', '/snis/localhost')).status, 404);
        assert.equal((await h.call('GET', `/certificates/${certificateId}`)).status, 200);
      });
    });

    describe('400', () => {
      for (const [what, name, message] of BAD) {
        it(`refuses ${what} with 400 naming name`, async () => {
          const res = await h.call('POST', '/snis', { name, certificate: { id: certificateId } });
          assert.equal(res.status, 400, res.text);
          assert.equal(res.body.code, 'PC_VALIDATION_FAILED');
          assert.equal(res.body.fields[0].path, 'name');
          assert.match(res.body.fields[0].message, message);
        });
      }

      it('refuses the same bad names in a certificate’s snis, naming snis.<i>', async () => {
        const pair = await createSelfSignedTestCertificate({ names: ['x.test'] });
        for (const [, name, message] of BAD) {
          const res = await h.call('POST', '/certificates', { cert: pair.cert, key: pair.key, snis: ['fine.test', name] });
          assert.equal(res.status, 400, name);
          assert.equal(res.body.fields[0].path, 'snis.1');
          assert.match(res.body.fields[0].message, message);
        }
      });

      it('refuses an SNI without a name', async () => {
        const res = await h.call('POST', '/snis', { certificate: { id: certificateId } });
        assert.equal(res.status, 400);
        assert.equal(res.body.fields[0].path, 'name');
        assert.match(res.body.fields[0].message, /is required/);
      });

      it('refuses an SNI without a certificate, or with an unknown one', async () => {
        const none = await h.call('POST', '/snis', { name: 'orphan.test' });
        assert.equal(none.status, 400);
        assert.equal(none.body.fields[0].path, 'certificate');
        const unknown = await h.call('POST', '/snis', { name: 'orphan.test', certificate: { id: '0e8f5f1e-8c1d-4a44-a0e2-6f7a9c3b2d10' } });
        assert.equal(unknown.status, 400);
        assert.equal(unknown.body.fields[0].path, 'certificate');
      });

      it('refuses a body naming another certificate than the path', async () => {
        const res = await h.call('POST', `/certificates/${otherId}/snis`, { name: 'mismatch.test', certificate: { id: certificateId } });
        assert.equal(res.status, 400);
        assert.equal(res.body.fields[0].path, 'certificate');
      });
    });

    describe('404', () => {
      it('answers 404 for an SNI of another certificate under /certificates/{certificate}/snis', async () => {
        assert.equal((await h.call('GET', `/certificates/${certificateId}/snis/nested.test`)).status, 404);
        assert.equal((await h.call('GET', `/certificates/${otherId}/snis/nested.test`)).status, 200);
      });
    });

    describe('409', () => {
      it('refuses a name another SNI has, in any case', async () => {
        for (const name of ['plain.test', 'PLAIN.test']) {
          const res = await h.call('POST', '/snis', { name, certificate: { id: certificateId } });
          assert.equal(res.status, 409);
          assert.equal(res.body.code, 'PC_STORE_UNIQUE_VIOLATION');
          assert.equal(res.body.fields[0].path, 'name');
        }
      });
    });

    describe('cascade', () => {
      it('deletes the SNIs of a deleted certificate, and only those', async () => {
        const pair = await createSelfSignedTestCertificate({ names: ['c.test'] });
        const doomed = (await h.call('POST', '/certificates', { cert: pair.cert, key: pair.key, snis: ['doomed.test', '*.doomed.test'] })).body.id;
        await h.call('POST', `/certificates/${doomed}/snis`, { name: 'also-doomed.test' });
        const before = (await h.call('GET', '/snis?size=1000')).body.data.length;
        assert.equal((await h.call('DELETE', `/certificates/${doomed}`)).status, 204);
        const after = (await h.call('GET', '/snis?size=1000')).body.data;
        assert.equal(after.length, before - 3);
        assert.ok(!after.some((s: { certificate: { id: string } }) => s.certificate.id === doomed));
        assert.ok(
          after.some((s: { name: string }) => s.name === 'nested.test'),
          'other certificates keep theirs',
        );
      });
    });
  });
}
