/**
 * A list of ids (a service's `ca_certificates`) has no foreign key in the database, so the store
 * keeps it true under concurrency, on SQLite and PostgreSQL: a CA certificate deleted while a
 * service that lists it is being written is either refused (409) or makes that write fail (400);
 * never does a service end up listing a CA certificate that is gone.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { DIALECTS, createTestStore, type TestStore } from '../../test/support/databases.js';
import { createTestCa } from '../../test/support/certificates.js';
import { rejectsWith } from '../../test/support/assertions.js';

for (const dialect of DIALECTS) {
  describe(`ca_certificates lists under concurrent writes on ${dialect}`, () => {
    let t: TestStore;
    let caCert: string;

    before(async () => {
      t = await createTestStore(dialect);
      caCert = (await createTestCa({ name: 'Race CA' })).cert;
    });
    after(async () => t.close());

    it('refuses a delete that starts while a service listing the CA certificate is being written', async () => {
      const ca = await t.store.caCertificates.insert({ cert: caCert });
      let release: () => void = () => {};
      let written: () => void = () => {};
      const listed = new Promise<void>((r) => (written = r));
      const writing = t.store.transaction(async () => {
        await t.store.services.insert({ name: 'racer', url: 'https://race.test', ca_certificates: [ca.id] });
        written();
        await new Promise<void>((r) => (release = r));
      });
      await listed;
      // The outcome is observed from the start: the delete may settle before the test awaits it.
      const refusedDelete = rejectsWith(t.store.caCertificates.delete(ca.id), 'PC_STORE_REFERENCED');
      await sleep(150); // the delete reaches the database while the service is not committed yet
      release();
      await writing;
      await refusedDelete;
      assert.ok(await t.store.caCertificates.get(ca.id));
      await t.store.services.delete('racer');
      await t.store.caCertificates.delete(ca.id);
    });

    it('fails a service write that starts while the CA certificate it lists is being deleted', async () => {
      const ca = await t.store.caCertificates.insert({ cert: caCert });
      let release: () => void = () => {};
      let deleted: () => void = () => {};
      const gone = new Promise<void>((r) => (deleted = r));
      const deleting = t.store.transaction(async () => {
        await t.store.caCertificates.delete(ca.id);
        deleted();
        await new Promise<void>((r) => (release = r));
      });
      await gone;
      // Observed from the start: the write fails as soon as the delete commits, maybe before `await deleting` returns.
      const refusedWrite = rejectsWith(t.store.services.insert({ name: 'late', url: 'https://late.test', ca_certificates: [ca.id] }), 'PC_VALIDATION_FAILED');
      await sleep(150);
      release();
      await deleting;
      const refused = await refusedWrite;
      assert.equal(refused.fields?.[0]?.path, 'ca_certificates.0');
      assert.equal(await t.store.services.get('late'), null);
    });
  });
}
