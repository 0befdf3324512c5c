/**
 * `/certificates` on SQLite and PostgreSQL: RSA and ECDSA pairs, chains, an alternate pair, the
 * `snis` shorthand, the facts every response shows, keys that never leave (encrypted in the
 * column, null or their reference in responses, absent from every error and log line), the
 * expiry warning, and every way an upload is refused with a 400 naming its field.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { createAdminHarness, type AdminHarness, type CallResult } from '../../test/support/admin-harness.js';
import { createTestCa, DAY, type TestCa, type TestCertificate } from '../../test/support/certificates.js';
import { createLogger } from '../observability/logger.js';

/** The base64 lines of a PEM private key: none may appear in any response or log line. */
function keyLines(pem: string): string[] {
  return pem.split('\n').filter((line) => line.length >= 40 && !line.startsWith('-----'));
}

for (const dialect of DIALECTS) {
  describe(`Admin API /certificates on ${dialect}`, () => {
    let database: TestDatabase;
    let h: AdminHarness;
    let ca: TestCa;
    let ecdsa: TestCertificate;
    let rsa: TestCertificate;
    let otherRsa: TestCertificate;
    let soon: TestCertificate;
    let expired: TestCertificate;
    let future: TestCertificate;
    const seen: string[] = [];
    const logLines: string[] = [];

    const call = async (method: string, url: string, body?: unknown): Promise<CallResult> => {
      const res = await h.call(method, url, body);
      seen.push(res.text);
      return res;
    };
    const storedKeys = async (id: string) =>
      h.store.db.selectFrom('certificates').select(['key', 'key_alt']).where('id', '=', id).executeTakeFirstOrThrow() as Promise<{
        key: string;
        key_alt: string | null;
      }>;

    before(async () => {
      database = await createTestDatabase(dialect);
      const destination = new Writable({
        write(chunk, _enc, done) {
          logLines.push(String(chunk));
          done();
        },
      });
      h = await createAdminHarness(database, { logger: createLogger({ level: 'info', destination }) });
      ca = await createTestCa({ name: 'Admin Test CA' });
      ecdsa = await ca.issue({ names: ['ecdsa.test', '*.ecdsa.test'] });
      rsa = await ca.issue({ names: ['rsa.test'], keyType: 'rsa' });
      otherRsa = await ca.issue({ names: ['other.test'], keyType: 'rsa' });
      soon = await ca.issue({ names: ['soon.test'], notAfter: Date.now() + 10 * DAY });
      expired = await ca.issue({ names: ['old.test'], notBefore: Date.now() - 60 * DAY, notAfter: Date.now() - DAY });
      future = await ca.issue({ names: ['new.test'], notBefore: Date.now() + DAY });
    });
    after(async () => {
      // Whatever each test did: no response and no log line ever carried a private key.
      for (const pem of [ecdsa, rsa, otherRsa, soon, expired, future, ca].map((c) => c.key)) {
        for (const line of keyLines(pem)) {
          assert.ok(!seen.some((text) => text.includes(line)), 'a response carried a private key');
          assert.ok(!logLines.some((text) => text.includes(line)), 'a log line carried a private key');
        }
      }
      await h.close();
      await database.drop();
    });

    describe('201 / 200 / 204', () => {
      it('creates an ECDSA certificate and shows its facts, never its key', async () => {
        const res = await call('POST', '/certificates', { cert: ecdsa.cert, key: ecdsa.key, tags: ['edge'] });
        assert.equal(res.status, 201);
        assert.equal(res.body.key, null);
        assert.equal(res.body.key_alt, null);
        assert.equal(res.body.cert, ecdsa.cert);
        assert.equal(res.body.subject, 'CN=ecdsa.test');
        assert.equal(res.body.issuer, 'CN=Admin Test CA');
        assert.deepEqual(res.body.sans, ['ecdsa.test', '*.ecdsa.test']);
        assert.equal(res.body.not_after, Math.floor(Date.parse(ecdsa.x509.validTo) / 1000));
        assert.equal(typeof res.body.not_before, 'number');
        assert.equal(res.body.fingerprint_sha256, ecdsa.x509.fingerprint256.replaceAll(':', '').toLowerCase());
        assert.deepEqual(res.body.warnings, []);
        assert.deepEqual(res.body.snis, []);
        assert.equal(res.body.alt, null);
        assert.deepEqual(res.body.tags, ['edge']);
      });

      it('keeps the key encrypted by the keyring in its column ($ke$1$), and reads it back whole through the store', async () => {
        const res = await call('POST', '/certificates', { cert: rsa.cert, key: rsa.key, cert_alt: ecdsa.cert, key_alt: ecdsa.key });
        assert.equal(res.status, 201);
        const row = await storedKeys(res.body.id);
        assert.match(row.key, /^\$ke\$1\$-[A-Za-z0-9]{8}-/);
        assert.match(row.key_alt ?? '', /^\$ke\$1\$-[A-Za-z0-9]{8}-/);
        for (const line of keyLines(rsa.key)) assert.ok(!row.key.includes(line));
        const stored = await h.store.certificates.getOrFail(res.body.id);
        assert.equal(stored.key, rsa.key);
        assert.equal(stored.key_alt, ecdsa.key);
        assert.ok(h.store.encryptedColumns.some((c) => c.table === 'certificates' && c.column === 'key'));
        assert.ok(h.store.encryptedColumns.some((c) => c.table === 'certificates' && c.column === 'key_alt'));
      });

      it('creates an RSA certificate with its chain (facts of the leaf) and an ECDSA alternate pair (facts under alt)', async () => {
        const res = await call('POST', '/certificates', { cert: rsa.cert + ca.cert, key: rsa.key, cert_alt: ecdsa.cert, key_alt: ecdsa.key });
        assert.equal(res.status, 201);
        assert.equal(res.body.subject, 'CN=rsa.test');
        assert.deepEqual(res.body.sans, ['rsa.test']);
        assert.equal(res.body.alt.subject, 'CN=ecdsa.test');
        assert.deepEqual(res.body.alt.sans, ['ecdsa.test', '*.ecdsa.test']);
        assert.equal(res.body.key_alt, null);
      });

      it('sets the SNIs from the snis shorthand (lowercased, sorted) and shows them on every read', async () => {
        const res = await call('POST', '/certificates', { cert: ecdsa.cert, key: ecdsa.key, snis: ['b.short.test', 'A.Short.test', '*.short.test'] });
        assert.equal(res.status, 201);
        assert.deepEqual(res.body.snis, ['*.short.test', 'a.short.test', 'b.short.test']);
        const sni = await call('GET', '/snis/a.short.test');
        assert.equal(sni.status, 200);
        assert.deepEqual(sni.body.certificate, { id: res.body.id });
        assert.deepEqual((await call('GET', `/certificates/${res.body.id}`)).body.snis, ['*.short.test', 'a.short.test', 'b.short.test']);
        const nested = await call('GET', `/certificates/${res.body.id}/snis`);
        assert.deepEqual(nested.body.data.map((s: { name: string }) => s.name).sort(), ['*.short.test', 'a.short.test', 'b.short.test']);
        const parent = await call('GET', '/snis/b.short.test/certificate');
        assert.equal(parent.body.id, res.body.id);
        assert.equal(parent.body.key, null);
        assert.equal(parent.body.subject, 'CN=ecdsa.test');
      });

      it('makes the SNIs exactly those of a PATCH or PUT that has snis, and leaves them when it has none', async () => {
        const created = await call('POST', '/certificates', { cert: ecdsa.cert, key: ecdsa.key, snis: ['one.patch.test', 'two.patch.test'] });
        const id = created.body.id;
        const patched = await call('PATCH', `/certificates/${id}`, { snis: ['two.patch.test', 'three.patch.test'] });
        assert.equal(patched.status, 200);
        assert.deepEqual(patched.body.snis, ['three.patch.test', 'two.patch.test']);
        assert.equal((await call('GET', '/snis/one.patch.test')).status, 404);
        const tagged = await call('PATCH', `/certificates/${id}`, { tags: ['kept'] });
        assert.deepEqual(tagged.body.snis, ['three.patch.test', 'two.patch.test']);
        const replaced = await call('PUT', `/certificates/${id}`, { cert: rsa.cert, key: rsa.key });
        assert.equal(replaced.status, 200);
        assert.equal(replaced.body.subject, 'CN=rsa.test');
        assert.deepEqual(replaced.body.snis, ['three.patch.test', 'two.patch.test'], 'a PUT without snis keeps them, as in Kong');
        assert.deepEqual(replaced.body.tags, [], 'a PUT replaces the rest');
        const cleared = await call('PUT', `/certificates/${id}`, { cert: rsa.cert, key: rsa.key, snis: [] });
        assert.deepEqual(cleared.body.snis, []);
        assert.equal((await call('GET', '/snis/two.patch.test')).status, 404);
      });

      it('creates with PUT by id, SNIs included', async () => {
        const id = '5b0c6a0e-6a7e-4a53-9d3e-6b1f2f0c9e11';
        const res = await call('PUT', `/certificates/${id}`, { cert: ecdsa.cert, key: ecdsa.key, snis: ['put.test'] });
        assert.equal(res.status, 201);
        assert.equal(res.body.id, id);
        assert.deepEqual(res.body.snis, ['put.test']);
      });

      it('replaces a certificate and its key with a PATCH, checked as a pair', async () => {
        const created = await call('POST', '/certificates', { cert: ecdsa.cert, key: ecdsa.key });
        const res = await call('PATCH', `/certificates/${created.body.id}`, { cert: rsa.cert, key: rsa.key });
        assert.equal(res.status, 200);
        assert.equal(res.body.subject, 'CN=rsa.test');
        assert.equal((await h.store.certificates.getOrFail(created.body.id)).key, rsa.key);
      });

      it('lists certificates with their facts, SNIs and no key', async () => {
        const res = await call('GET', '/certificates?size=1000');
        assert.equal(res.status, 200);
        assert.ok(res.body.data.length >= 5);
        for (const c of res.body.data) {
          assert.equal(c.key, null);
          assert.match(c.subject, /^CN=/);
          assert.match(c.fingerprint_sha256, /^[0-9a-f]{64}$/);
          assert.ok(Array.isArray(c.snis));
          assert.ok(Array.isArray(c.warnings));
        }
      });

      it('shows a vault reference in key as written, and reads the facts of a literal cert', async () => {
        const res = await call('POST', '/certificates', { cert: rsa.cert, key: '{vault://env/tls-rsa-key}' });
        assert.equal(res.status, 201);
        assert.equal(res.body.key, '{vault://env/tls-rsa-key}');
        assert.equal(res.body.subject, 'CN=rsa.test');
        assert.match((await storedKeys(res.body.id)).key, /^\$ke\$1\$/, 'a reference is encrypted like a key');
      });

      it('accepts a reference in cert with a literal key (checked alone), and shows null facts for it', async () => {
        const res = await call('POST', '/certificates', { cert: '{vault://env/tls-cert}', key: ecdsa.key, snis: ['ref.test'] });
        assert.equal(res.status, 201);
        assert.equal(res.body.cert, '{vault://env/tls-cert}');
        assert.equal(res.body.key, null);
        assert.deepEqual([res.body.subject, res.body.not_after, res.body.fingerprint_sha256], [null, null, null]);
        assert.deepEqual(res.body.warnings, []);
        const both = await call('POST', '/certificates', {
          cert: '{vault://env/c}',
          key: '{vault://env/k}',
          cert_alt: '{vault://env/ca}',
          key_alt: '{vault://env/ka}',
        });
        assert.equal(both.status, 201);
        assert.equal(both.body.alt.subject, null);
      });

      it('warns in the response and in one log line, without the key, when the certificate expires within 30 days', async () => {
        const res = await call('POST', '/certificates', { cert: soon.cert, key: soon.key });
        assert.equal(res.status, 201);
        assert.equal(res.body.warnings.length, 1);
        assert.match(res.body.warnings[0], /^cert expires in (9|10) days \(not after \d{4}-\d\d-\d\dT/);
        const line = logLines.find((l) => l.includes('admin write accepted with warnings') && l.includes(res.body.id));
        assert.ok(line, 'one warn line names the certificate');
        assert.equal(JSON.parse(line).level, 'warn');
        assert.match(line, /cert expires in/);
        assert.ok(!line.includes('BEGIN'), 'no PEM in the log line');
        // Reads warn too. The whole days left can drop from 10 to 9 between the two calls (the
        // certificate's not-after is to the second): the same warning, the day count either.
        const read: string[] = (await call('GET', `/certificates/${res.body.id}`)).body.warnings;
        assert.equal(read.length, 1);
        assert.equal(read[0]!.replace(/in (9|10) days/, 'in N days'), res.body.warnings[0].replace(/in (9|10) days/, 'in N days'), 'reads warn too');
        const alt = await call('POST', '/certificates', { cert: otherRsa.cert, key: otherRsa.key, cert_alt: soon.cert, key_alt: soon.key });
        assert.match(alt.body.warnings[0], /^cert_alt expires in/);
      });

      it('deletes a certificate with its SNIs (204), and answers 204 again', async () => {
        const created = await call('POST', '/certificates', { cert: ecdsa.cert, key: ecdsa.key, snis: ['gone.test', '*.gone.test'] });
        assert.equal((await call('DELETE', `/certificates/${created.body.id}`)).status, 204);
        assert.equal((await call('GET', `/certificates/${created.body.id}`)).status, 404);
        assert.equal((await call('GET', '/snis/gone.test')).status, 404);
        assert.equal((await call('GET', '/snis/*.gone.test')).status, 404);
        assert.equal((await call('DELETE', `/certificates/${created.body.id}`)).status, 204);
      });
    });

    describe('400', () => {
      const cases: [string, () => Record<string, unknown>, string, RegExp][] = [
        ['an expired certificate', () => ({ cert: expired.cert, key: expired.key }), 'cert', /has expired \(not after/],
        ['a certificate not valid yet', () => ({ cert: future.cert, key: future.key }), 'cert', /is not valid yet/],
        ['a key of another certificate', () => ({ cert: ecdsa.cert, key: soon.key }), 'key', /does not match the certificate in cert/],
        ['a key of the other type', () => ({ cert: ecdsa.cert, key: rsa.key }), 'key', /does not match the certificate in cert/],
        ['a CA key with its leaf', () => ({ cert: rsa.cert + ca.cert, key: ca.key }), 'key', /does not match/],
        ['garbage in cert', () => ({ cert: 'not a certificate', key: ecdsa.key }), 'cert', /holds no PEM certificate/],
        ['garbage in key', () => ({ cert: ecdsa.cert, key: 'not a key' }), 'key', /holds no PEM private key/],
        ['a private key in cert', () => ({ cert: ecdsa.key, key: ecdsa.key }), 'cert', /holds a private key/],
        ['a certificate and its key in cert', () => ({ cert: ecdsa.cert + ecdsa.key, key: ecdsa.key }), 'cert', /holds a private key/],
        ['a certificate in key', () => ({ cert: ecdsa.cert, key: ecdsa.cert }), 'key', /holds a certificate/],
        ['a truncated certificate', () => ({ cert: ecdsa.cert.slice(0, 200), key: ecdsa.key }), 'cert', /without its END line/],
        [
          'an alternate pair of the same type',
          () => ({ cert: rsa.cert, key: rsa.key, cert_alt: otherRsa.cert, key_alt: otherRsa.key }),
          'cert_alt',
          /RSA key like cert; .*other type/,
        ],
        [
          'an alternate pair mismatched',
          () => ({ cert: rsa.cert, key: rsa.key, cert_alt: ecdsa.cert, key_alt: soon.key }),
          'key_alt',
          /does not match the certificate in cert_alt/,
        ],
        ['cert_alt without key_alt', () => ({ cert: rsa.cert, key: rsa.key, cert_alt: ecdsa.cert }), 'key_alt', /give cert_alt and key_alt together/],
        ['key_alt without cert_alt', () => ({ cert: rsa.cert, key: rsa.key, key_alt: ecdsa.key }), 'cert_alt', /give cert_alt and key_alt together/],
        ['an expired alternate certificate', () => ({ cert: rsa.cert, key: rsa.key, cert_alt: expired.cert, key_alt: expired.key }), 'cert_alt', /has expired/],
        ['a certificate over 64 KiB', () => ({ cert: ecdsa.cert + ' '.repeat(64 * 1024), key: ecdsa.key }), 'cert', /65536/],
        ['a key over 16 KiB', () => ({ cert: ecdsa.cert, key: ecdsa.key + ' '.repeat(16 * 1024) }), 'key', /16384/],
        ['a chain of 11 certificates', () => ({ cert: ecdsa.cert + ca.cert.repeat(10), key: ecdsa.key }), 'cert', /more than 10 certificates/],
        ['a missing key', () => ({ cert: ecdsa.cert }), 'key', /is required/],
        ['a malformed reference', () => ({ cert: ecdsa.cert, key: '{vault://env}' }), 'key', /not a valid vault reference/],
        ['a reference inside other text', () => ({ cert: ecdsa.cert, key: `x{vault://env/k}` }), 'key', /must be the whole value/],
        ['a bad SNI name', () => ({ cert: ecdsa.cert, key: ecdsa.key, snis: ['ok.test', 'a.*.test'] }), 'snis.1', /leftmost label/],
        ['a repeated SNI name', () => ({ cert: ecdsa.cert, key: ecdsa.key, snis: ['dup.test', 'DUP.test'] }), 'snis.1', /repeats snis.0/],
        ['an unknown field', () => ({ cert: ecdsa.cert, key: ecdsa.key, passphrase: 'x' }), 'passphrase', /not a known field/],
      ];
      for (const [what, body, path, message] of cases) {
        it(`refuses ${what} with 400 naming ${path}, writing nothing`, async () => {
          const before = (await call('GET', '/certificates?size=1000')).body.data.length;
          const res = await call('POST', '/certificates', body());
          assert.equal(res.status, 400, res.text.slice(0, 300));
          assert.equal(res.body.code, 'PC_VALIDATION_FAILED');
          const field = res.body.fields.find((f: { path: string }) => f.path === path);
          assert.ok(field, `a field error names ${path}: ${JSON.stringify(res.body.fields)}`);
          assert.match(field.message, message);
          assert.doesNotMatch(res.text, /[A-Za-z0-9+/]{40}/, 'the error quotes no PEM body');
          assert.equal((await call('GET', '/certificates?size=1000')).body.data.length, before);
        });
      }

      it('refuses a PATCH that breaks the pair, keeping the certificate as it was', async () => {
        const created = await call('POST', '/certificates', { cert: ecdsa.cert, key: ecdsa.key });
        const res = await call('PATCH', `/certificates/${created.body.id}`, { key: rsa.key });
        assert.equal(res.status, 400);
        assert.equal(res.body.fields[0].path, 'key');
        assert.equal((await h.store.certificates.getOrFail(created.body.id)).key, ecdsa.key);
      });
    });

    describe('404', () => {
      it('answers 404 for an unknown certificate and refuses a non-UUID in the path', async () => {
        assert.equal((await call('GET', '/certificates/2f6b2d4e-1b8a-4c2e-9a55-0d3c5e7f9a10')).status, 404);
        assert.equal((await call('GET', '/certificates/not-an-id')).status, 400);
      });
    });

    describe('409', () => {
      it('refuses an SNI another certificate has, naming it, and writes nothing', async () => {
        const owner = await call('POST', '/certificates', { cert: ecdsa.cert, key: ecdsa.key, snis: ['owned.test'] });
        const count = (await call('GET', '/certificates?size=1000')).body.data.length;
        const res = await call('POST', '/certificates', { cert: rsa.cert, key: rsa.key, snis: ['free.test', 'owned.test'] });
        assert.equal(res.status, 409);
        assert.equal(res.body.code, 'PC_STORE_UNIQUE_VIOLATION');
        assert.deepEqual(
          res.body.fields.map((f: { path: string }) => f.path),
          ['snis.1'],
        );
        assert.match(res.body.message, new RegExp(`"owned.test" already belongs to certificate ${owner.body.id}`));
        assert.equal((await call('GET', '/certificates?size=1000')).body.data.length, count, 'no certificate written');
        assert.equal((await call('GET', '/snis/free.test')).status, 404, 'no SNI written');
        const patch = await call('PATCH', `/certificates/${owner.body.id}`, { snis: ['owned.test'] });
        assert.equal(patch.status, 200, 'a certificate keeps its own names');
      });

      it('refuses a PATCH that takes another certificate’s SNI, keeping both as they were', async () => {
        const a = await call('POST', '/certificates', { cert: ecdsa.cert, key: ecdsa.key, snis: ['mine.test'] });
        const b = await call('POST', '/certificates', { cert: rsa.cert, key: rsa.key, snis: ['yours.test'] });
        const res = await call('PATCH', `/certificates/${b.body.id}`, { cert: ecdsa.cert, key: ecdsa.key, snis: ['mine.test'] });
        assert.equal(res.status, 409);
        const kept = await call('GET', `/certificates/${b.body.id}`);
        assert.deepEqual(kept.body.snis, ['yours.test']);
        assert.equal(kept.body.subject, 'CN=rsa.test', 'the certificate change was rolled back too');
        assert.deepEqual((await call('GET', `/certificates/${a.body.id}`)).body.snis, ['mine.test']);
      });
    });
  });
}
