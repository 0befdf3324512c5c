/**
 * Kong's "Keyring and Data Encryption" walkthrough, end to end through the real CLI, on SQLite and
 * PostgreSQL: a consumer with a basic-auth credential → `$ke$1$` in the database → an Admin API read
 * without the password → generate → activate → PATCH → the new key id in the database → export →
 * restart without the blob (incomplete: not ready, the credential answers 503) → import → readable.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from '../../src/store/dialects/sqlite-binding.js';
import pg from 'pg';
import { admin, startCliNode, writeConfigFor, type CliNode } from './support/cli.js';
import { startEchoUpstream, type EchoUpstream } from './support/upstream.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../support/databases.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const KEY_OF = /^\$ke\$1\$-([A-Za-z0-9]{8})-[0-9a-f]{24}-[0-9a-f]+$/;

for (const dialect of DIALECTS) {
  describe(`the Kong keyring walkthrough on ${dialect}`, () => {
    let database: TestDatabase;
    let upstream: EchoUpstream;
    let node: CliNode;
    let configFile: string;
    let credentialId = '';

    const storedPassword = async (): Promise<string> => {
      if (dialect === 'sqlite') {
        const db = new Database(database.config.sqlite_path, { readonly: true });
        try {
          return String((db.prepare('select password from basicauth_credentials where id = ?').get(credentialId) as { password: string }).password);
        } finally {
          db.close();
        }
      }
      const client = new pg.Client({ connectionString: database.config.pg_url });
      await client.connect();
      try {
        return String((await client.query('select password from basicauth_credentials where id = $1', [credentialId])).rows[0].password);
      } finally {
        await client.end();
      }
    };
    const call = () => fetch(`${node.proxyUrl}/intranet`, { headers: { authorization: basic('dana', 'walkthrough-password') } });

    before(async () => {
      database = await createTestDatabase(dialect);
      upstream = await startEchoUpstream();
      configFile = writeConfigFor(database.config);
      node = await startCliNode(configFile);
    });
    after(async () => {
      await node.stop();
      await upstream.close();
      await database.drop();
    });

    it('walks through encryption, rotation, export, a restart without the blob, and import', async () => {
      await admin(node, 'POST', '/services', { name: 'intranet', url: upstream.url });
      await admin(node, 'POST', '/services/intranet/routes', { name: 'intranet', paths: ['/intranet'] });
      await admin(node, 'POST', '/routes/intranet/plugins', { name: 'basic-auth' });
      await admin(node, 'POST', '/consumers', { username: 'dana' });
      const created = await admin(node, 'POST', '/consumers/dana/basic-auth', { username: 'dana', password: 'walkthrough-password' });
      assert.equal(created.status, 201);
      credentialId = created.body.id;

      const first = (await admin(node, 'GET', '/keyring')).body;
      assert.equal(first.ids.length, 1, 'the embedded default made one key at first start');
      assert.equal(KEY_OF.exec(await storedPassword())?.[1], first.active, 'the database holds $ke$1$ under the active key');
      const read = await admin(node, 'GET', `/consumers/dana/basic-auth/${credentialId}`);
      assert.equal(read.status, 200);
      assert.equal(read.body.password, undefined, 'the Admin API never shows the password');
      assert.equal((await call()).status, 200);

      const generated = await admin(node, 'POST', '/keyring/generate');
      assert.equal(generated.status, 200);
      assert.match(generated.body.id, /^[A-Za-z0-9]{8}$/);
      assert.equal(Buffer.from(generated.body.key, 'base64').length, 32);
      assert.equal((await admin(node, 'POST', '/keyring/activate', { key: generated.body.id })).status, 204);
      assert.equal((await admin(node, 'GET', '/keyring/active')).body.id, generated.body.id);

      assert.equal((await admin(node, 'PATCH', `/consumers/dana/basic-auth/${credentialId}`, { tags: ['rotated'] })).status, 200);
      assert.equal(KEY_OF.exec(await storedPassword())?.[1], generated.body.id, 'the PATCH re-encrypted with the new active key');

      const exported = await admin(node, 'POST', '/keyring/export');
      assert.equal(exported.status, 200);
      assert.ok(!exported.body.data.includes(generated.body.key));

      assert.equal(await node.stop(), 0);
      rmSync(join(dirname(database.config.sqlite_path), 'keyring.blob'));
      node = await startCliNode(configFile);
      const ready = await fetch(`${node.adminUrl}/status/ready`);
      assert.equal(ready.status, 503, 'a node without its keys is not ready');
      assert.equal(((await ready.json()) as { code: string }).code, 'PC_ADMIN_NOT_READY');
      const locked = await call();
      assert.equal(locked.status, 503, 'a credential under a missing key is not checked: 503, never 200 or 401');
      const status = (await admin(node, 'GET', '/keyring')).body;
      assert.deepEqual([...status.missing].sort(), [first.active, generated.body.id].sort());

      const imported = await admin(node, 'POST', '/keyring/import', { data: exported.body.data });
      assert.equal(imported.status, 201);
      assert.equal((await fetch(`${node.adminUrl}/status/ready`)).status, 200);
      assert.equal((await call()).status, 200, 'readable again');
      assert.equal((await admin(node, 'GET', '/keyring')).body.complete, true);

      const usage = await admin(node, 'GET', '/keyring/usage');
      assert.equal(usage.body.keys[generated.body.id].by_entity.basicauth_credentials, 1);
      const metrics = await (await fetch(`${node.adminUrl}/metrics`)).text();
      assert.match(metrics, new RegExp(`portcullis_keyring_key_encryptions\\{key="${generated.body.id}"\\} [1-9]`));
      assert.match(metrics, new RegExp(`portcullis_keyring_values\\{key="${generated.body.id}"\\} 1`));
      assert.match(metrics, /portcullis_keyring_active_key_age_seconds \d+/);
      assert.match(metrics, /portcullis_keyring_missing_keys 0/);
    });
  });
}
