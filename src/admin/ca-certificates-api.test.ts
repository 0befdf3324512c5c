/**
 * `/ca_certificates` on SQLite and PostgreSQL: one CA certificate per entity, its computed
 * `cert_digest` (unique: the same CA twice is 409), the facts it shows, and every way an upload is
 * refused; and services listing CA certificates: unknown ids refused, a listed CA kept from deletion.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { createAdminHarness, type AdminHarness } from '../../test/support/admin-harness.js';
import { createSelfSignedTestCertificate, createTestCa, DAY, type TestCa } from '../../test/support/certificates.js';

const UNKNOWN_ID = '7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d';

for (const dialect of DIALECTS) {
  describe(`Admin API /ca_certificates on ${dialect}`, () => {
    let database: TestDatabase;
    let h: AdminHarness;
    let ca: TestCa;
    let second: TestCa;

    before(async () => {
      database = await createTestDatabase(dialect);
      h = await createAdminHarness(database);
      ca = await createTestCa({ name: 'Upstream CA' });
      second = await createTestCa({ name: 'Second CA', keyType: 'rsa', notAfter: Date.now() + 20 * DAY });
    });
    after(async () => {
      await h.close();
      await database.drop();
    });

    describe('201 / 200 / 204', () => {
      it('stores a CA certificate under /ca_certificates with its SHA-256 digest and facts', async () => {
        const res = await h.call('POST', '/ca_certificates', { cert: ca.cert, tags: ['upstream'] });
        assert.equal(res.status, 201, res.text);
        const digest = createHash('sha256').update(ca.x509.raw).digest('hex');
        assert.equal(res.body.cert_digest, digest);
        assert.equal(res.body.fingerprint_sha256, digest);
        assert.equal(res.body.subject, 'CN=Upstream CA');
        assert.equal(res.body.issuer, 'CN=Upstream CA');
        assert.equal(res.body.not_after, Math.floor(Date.parse(ca.x509.validTo) / 1000));
        assert.deepEqual(res.body.warnings, []);
        assert.equal(res.body.cert, ca.cert);
        assert.equal(res.body.sans, undefined, 'a CA shows no names');
        assert.equal((await h.call('GET', `/ca_certificates/${res.body.id}`)).body.cert_digest, digest);
      });

      it('warns about a CA certificate that expires within 30 days', async () => {
        const res = await h.call('POST', '/ca_certificates', { cert: second.cert });
        assert.equal(res.status, 201);
        assert.match(res.body.warnings[0], /^cert expires in (19|20) days/);
      });

      it('recomputes the digest when a PATCH replaces the certificate', async () => {
        const third = await createTestCa({ name: 'Third CA' });
        const fourth = await createTestCa({ name: 'Fourth CA' });
        const created = await h.call('POST', '/ca_certificates', { cert: third.cert });
        const res = await h.call('PATCH', `/ca_certificates/${created.body.id}`, { cert: fourth.cert });
        assert.equal(res.status, 200);
        assert.equal(res.body.cert_digest, createHash('sha256').update(fourth.x509.raw).digest('hex'));
        assert.equal(res.body.subject, 'CN=Fourth CA');
      });

      it('lists CA certificates with their facts', async () => {
        const res = await h.call('GET', '/ca_certificates');
        assert.equal(res.status, 200);
        assert.ok(res.body.data.length >= 3);
        for (const c of res.body.data) assert.match(c.fingerprint_sha256, /^[0-9a-f]{64}$/);
      });

      it('is served at Kong’s path only, and documented there', async () => {
        assert.equal((await h.call('GET', '/ca-certificates')).status, 404);
        const doc = (await h.call('GET', '/openapi.json')).body;
        for (const path of ['/ca_certificates', '/ca_certificates/{ca_certificate}', '/certificates/{certificate}/snis', '/snis/{sni}/certificate']) {
          assert.ok(doc.paths[path], `${path} is documented`);
        }
        const shown = doc.components.schemas['CACertificate'].properties;
        for (const fact of ['cert_digest', 'subject', 'issuer', 'not_after', 'fingerprint_sha256', 'warnings']) assert.ok(shown[fact], fact);
        const certificate = doc.components.schemas['Certificate'].properties;
        for (const fact of ['snis', 'subject', 'sans', 'not_after', 'fingerprint_sha256', 'alt', 'warnings', 'key']) assert.ok(certificate[fact], fact);
        assert.ok(doc.components.schemas['CertificateInput'].properties['snis']);
      });
    });

    describe('400', () => {
      const cases: [string, () => Promise<string>, RegExp][] = [
        ['a leaf certificate (not a CA)', async () => (await ca.issue({ names: ['leaf.test'] })).cert, /is not a CA certificate/],
        ['a self-signed leaf', async () => (await createSelfSignedTestCertificate({ names: ['self.test'] })).cert, /is not a CA certificate/],
        ['an expired CA', async () => (await createTestCa({ notAfter: Date.now() - DAY })).cert, /has expired/],
        ['two certificates', async () => ca.cert + second.cert, /holds 2 certificates/],
        ['a private key', async () => ca.key, /holds a private key/],
        ['garbage', async () => 'garbage', /holds no PEM certificate/],
        ['more than 64 KiB', async () => ca.cert + ' '.repeat(64 * 1024), /65536/],
      ];
      for (const [what, cert, message] of cases) {
        it(`refuses ${what} with 400 naming cert`, async () => {
          const res = await h.call('POST', '/ca_certificates', { cert: await cert() });
          assert.equal(res.status, 400, res.text.slice(0, 300));
          assert.equal(res.body.code, 'PC_VALIDATION_FAILED');
          assert.equal(res.body.fields[0].path, 'cert');
          assert.match(res.body.fields[0].message, message);
          assert.doesNotMatch(res.text, /[A-Za-z0-9+/]{40}/, 'the error quotes no PEM body');
        });
      }

      it('refuses a cert_digest in the input: it is computed', async () => {
        const res = await h.call('POST', '/ca_certificates', { cert: ca.cert, cert_digest: 'ab'.repeat(32) });
        assert.equal(res.status, 400);
        assert.equal(res.body.fields[0].path, 'cert_digest');
      });
    });

    describe('409', () => {
      it('refuses the same CA certificate twice, however it is written', async () => {
        for (const cert of [ca.cert, `# the upstream CA again\n${ca.cert.replaceAll('\n', '\r\n')}`]) {
          const res = await h.call('POST', '/ca_certificates', { cert });
          assert.equal(res.status, 409);
          assert.equal(res.body.code, 'PC_STORE_UNIQUE_VIOLATION');
          assert.equal(res.body.fields[0].path, 'cert_digest');
        }
      });
    });

    describe('services listing CA certificates', () => {
      let caId: string;
      before(async () => {
        caId = (await h.call('GET', `/ca_certificates?size=1000`)).body.data.find((c: { subject: string }) => c.subject === 'CN=Upstream CA').id;
      });

      it('accepts known ids (any case) and refuses unknown ones with 400 naming ca_certificates.<i>', async () => {
        const ok = await h.call('POST', '/services', { name: 'verified', url: 'https://up.test', ca_certificates: [caId.toUpperCase()] });
        assert.equal(ok.status, 201, ok.text);
        assert.deepEqual(ok.body.ca_certificates, [caId]);
        const bad = await h.call('POST', '/services', { name: 'unverified', url: 'https://up.test', ca_certificates: [caId, UNKNOWN_ID] });
        assert.equal(bad.status, 400);
        assert.deepEqual(bad.body.fields, [{ path: 'ca_certificates.1', message: 'is not the id of an existing ca_certificates entity' }]);
        const patched = await h.call('PATCH', '/services/verified', { ca_certificates: [UNKNOWN_ID] });
        assert.equal(patched.status, 400);
        assert.equal(patched.body.fields[0].path, 'ca_certificates.0');
        assert.equal((await h.call('POST', '/services', { url: 'https://up.test', ca_certificates: ['not-a-uuid'] })).status, 400);
      });

      it('refuses to delete a CA certificate a service lists (409 naming the service), then deletes it once none does', async () => {
        await h.call('POST', '/services', { name: 'also-verified', url: 'https://up2.test', ca_certificates: [caId] });
        const refused = await h.call('DELETE', `/ca_certificates/${caId}`);
        assert.equal(refused.status, 409);
        assert.equal(refused.body.code, 'PC_STORE_REFERENCED');
        assert.match(refused.body.message, /services "also-verified", "verified" \(ca_certificates\)|services "verified", "also-verified" \(ca_certificates\)/);
        assert.equal((await h.call('GET', `/ca_certificates/${caId}`)).status, 200, 'still there');
        await h.call('PATCH', '/services/verified', { ca_certificates: null });
        await h.call('PATCH', '/services/also-verified', { ca_certificates: [] });
        assert.equal((await h.call('DELETE', `/ca_certificates/${caId}`)).status, 204);
        assert.equal((await h.call('GET', `/ca_certificates/${caId}`)).status, 404);
      });
    });
  });
}
