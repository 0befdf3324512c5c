/**
 * Declarative dump and apply through the node's own store parts (keyring, plugin and vault
 * schemas) on SQLite and PostgreSQL: dumps hold no secret and are stable, a fresh dump applies as
 * no change, changes show as a diff and land in one transaction, markers keep stored secrets,
 * API keys and their owners are never deleted, and a bad file writes nothing.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { parse, stringify } from 'yaml';
import type { Config } from '../config/schema.js';
import { openStoreParts, type StoreParts } from '../node/store-parts.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { createTestCa } from '../../test/support/certificates.js';
import { testApiKeyRecord } from '../../test/support/api-key-records.js';
import { declarativeDeps } from './declarative-deps.js';
import { applyDocument, type DeclarativeDeps } from './apply-document.js';
import { dumpState, serializeDocument } from './dump-state.js';
import { changeLine } from './format-changes.js';
import { loadDocument } from './load-document.js';
import { planChanges } from './plan-changes.js';
import { readCurrentState } from './read-current-state.js';
import { applyChanges } from './apply-changes.js';
import { SECRET_MARKER } from './declarative-kinds.js';

const logger = pino({ level: 'silent' });

/** Writes one of every entity kind, with literal secrets; returns the secret values written. */
async function seed(parts: StoreParts): Promise<string[]> {
  const { store } = parts;
  const ca = await createTestCa({ name: 'Decl Test CA' });
  const leaf = await ca.issue({ names: ['api.decl.test'] });
  const upstreamPassword = `pw-${randomBytes(12).toString('hex')}`;
  const vaultToken = `hvs.${randomBytes(16).toString('hex')}`;
  const basicPassword = `basic-${randomBytes(12).toString('hex')}`;
  const caCert = await store.caCertificates.insert({ cert: ca.cert, tags: ['ca'] });
  const cert = await store.certificates.insert({ cert: leaf.cert, key: leaf.key, snis: ['api.decl.test'] });
  await store.vaults.insert({ prefix: 'corp', name: 'hcv', config: { host: 'vault.decl.test', token: vaultToken } });
  await store.services.insert({ name: 'billing', url: 'https://billing.decl.test:8443/v1', ca_certificates: [caCert.id], client_certificate: { id: cert.id } });
  await store.services.insert({ url: 'http://anonymous.decl.test' });
  await store.routes.insert({ name: 'invoices', service: { name: 'billing' }, paths: ['/invoices'], methods: ['GET'] });
  const alice = await store.consumers.insert({ username: 'alice', custom_id: 'A-1' });
  await store.basicAuthCredentials.insert({ consumer: { id: alice.id }, username: 'alice-basic', password: basicPassword });
  await store.plugins.insert({ name: 'key-auth', service: { name: 'billing' } });
  await store.plugins.insert({ name: 'upstream-auth', route: { name: 'invoices' }, config: { type: 'basic', username: 'svc', password: upstreamPassword } });
  const key = testApiKeyRecord(alice.id);
  await store.apiKeys.insert(key);
  const keyLines = leaf.key.split('\n').filter((l) => l.length > 20);
  return [upstreamPassword, vaultToken, basicPassword, key.secret.hash, key.secret.salt!, ...keyLines];
}

for (const dialect of DIALECTS) {
  describe(`declarative configuration on ${dialect}`, () => {
    let database: TestDatabase;
    let parts: StoreParts;
    let deps: DeclarativeDeps;
    let secrets: string[];

    const dump = async (format: 'yaml' | 'json' = 'yaml') => serializeDocument(await dumpState(parts.store, deps.nested), format);
    const apply = (doc: unknown, dryRun = false) => applyDocument(deps, typeof doc === 'string' ? doc : stringify(doc), { dryRun });
    const lines = (result: Awaited<ReturnType<typeof apply>>) => result.changes.map(changeLine);

    before(async () => {
      database = await createTestDatabase(dialect);
      const config = database.config as Config;
      parts = await openStoreParts({ config, env: {}, logger, migrations: 'apply' });
      deps = declarativeDeps(parts, config);
      secrets = await seed(parts);
    });
    after(async () => {
      await parts?.close();
      await database?.drop();
    });

    it('never writes a secret the test stored, in YAML or JSON, and marks the encrypted literals', async () => {
      for (const format of ['yaml', 'json'] as const) {
        const text = await dump(format);
        for (const secret of secrets) assert.equal(text.includes(secret), false, `${format} dump holds a secret`);
        assert.ok(text.includes(SECRET_MARKER));
        assert.equal(/basicauth|api_keys|\$argon2|\$ke\$/.test(text), false);
      }
      const doc = parse(await dump());
      assert.equal(doc._format_version, '1.0');
      assert.equal(doc.certificates[0].key, SECRET_MARKER);
      assert.equal(doc.vaults[0].config.token, SECRET_MARKER);
      assert.equal(doc.plugins.find((p: any) => p.name === 'upstream-auth').config.password, SECRET_MARKER);
      assert.deepEqual(doc.routes[0].service, 'billing');
      assert.deepEqual(doc.snis[0], { name: 'api.decl.test', certificate: doc.certificates[0].id, tags: [] });
    });

    it('writes two dumps of the same state byte for byte the same', async () => {
      assert.equal(await dump(), await dump());
      assert.equal(await dump('json'), await dump('json'));
    });

    it('applies a fresh dump as "no changes" and records no event', async () => {
      const before = await parts.store.events.latestId();
      const result = await apply(await dump());
      assert.deepEqual(result, { ok: true, changes: [], dryRun: false });
      assert.equal(await parts.store.events.latestId(), before);
    });

    it('prints creates, updates (naming fields) and deletes, and a dry run writes nothing', async () => {
      const doc = parse(await dump());
      doc.routes[0].paths = ['/invoices', '/bills'];
      doc.routes.push({ name: 'refunds', service: 'billing', paths: ['/refunds'] });
      doc.plugins = doc.plugins.filter((p: any) => p.name !== 'key-auth');
      const before = await dump();
      const dry = await apply(doc, true);
      assert.equal(dry.ok, true);
      assert.deepEqual(lines(dry), ['~ route invoices (paths)', '+ route refunds', '- plugin key-auth (service billing)']);
      assert.equal(await dump(), before);
      const real = await apply(doc);
      assert.deepEqual(lines(real), lines(dry));
      const after = parse(await dump());
      assert.deepEqual(
        after.routes.map((r: any) => r.name),
        ['invoices', 'refunds'],
      );
      assert.equal(
        after.plugins.some((p: any) => p.name === 'key-auth'),
        false,
      );
      assert.equal((await apply(await dump())).changes.length, 0);
    });

    it('keeps the stored secret behind a marker while other fields change', async () => {
      const [cert] = await parts.store.certificates.listAll();
      const [plugin] = await parts.store.plugins.listAll({ name: 'upstream-auth' });
      const doc = parse(await dump());
      doc.certificates[0].tags = ['edge'];
      doc.plugins.find((p: any) => p.name === 'upstream-auth').config.username = 'svc2';
      assert.deepEqual(lines(await apply(doc)), [`~ certificate ${cert!.id} (tags)`, '~ plugin upstream-auth (route invoices) (config)']);
      assert.equal((await parts.store.certificates.get(cert!.id))!.key, cert!.key);
      assert.equal((await parts.store.plugins.get(plugin!.id))!.config['password'], plugin!.config['password']);
    });

    it('refuses to delete a service or consumer that owns credentials, and never deletes API keys', async () => {
      const [keyBefore] = (await parts.store.apiKeys.list()).data;
      const doc = parse(await dump());
      doc.consumers = [];
      const result = await apply(doc);
      assert.equal(result.ok, false);
      assert.ok(!result.ok && result.stage === 'plan');
      const message = !result.ok ? result.errors.map((e) => `${e.path}: ${e.message}`).join('\n') : '';
      assert.match(message, /^consumer alice: cannot be deleted: it owns API keys "key-[0-9a-f]+" and basic-auth credentials "alice-basic"/m);
      assert.ok(await parts.store.consumers.get('alice'));
      assert.deepEqual((await parts.store.apiKeys.list()).data, [keyBefore]);
    });

    it('refuses, in the transaction, to delete an owner that got an API key after the diff was planned', async () => {
      const erin = await parts.store.consumers.insert({ username: 'erin' });
      const doc = parse(await dump());
      doc.consumers = doc.consumers.filter((c: any) => c.username !== 'erin');
      const loaded = loadDocument(stringify(doc));
      assert.ok(loaded.ok);
      const plan = await planChanges(deps, loaded.items, await readCurrentState(parts.store));
      assert.ok(plan.ok);
      assert.deepEqual(plan.changes.map(changeLine), ['- consumer erin']);
      const key = testApiKeyRecord(erin.id);
      await parts.store.apiKeys.insert(key);
      const result = await applyChanges(parts.store, plan.changes);
      assert.ok(!result.ok);
      assert.match(result.errors[0]!.message, /owns API keys "key-[0-9a-f]+"/);
      assert.ok(await parts.store.consumers.get('erin'));
      assert.ok(await parts.store.apiKeys.getById(key.id));
    });

    it('refuses a marker where no value is stored, naming the entity and field', async () => {
      const doc = parse(await dump());
      doc.certificates[0].id = '11111111-2222-4333-8444-555555555555';
      doc.snis[0].certificate = doc.certificates[0].id;
      doc.services.find((s: any) => s.name === 'billing').client_certificate = doc.certificates[0].id;
      doc.vaults.push({ prefix: 'other', name: 'hcv', config: { host: 'v.decl.test', token: SECRET_MARKER } });
      const result = await apply(doc);
      assert.ok(!result.ok);
      assert.deepEqual(
        result.errors.map((e) => e.path),
        ['certificates[0].key', 'vaults[1].config.token'],
      );
      assert.match(result.errors[0]!.message, /no stored value is there to keep \(a new entity\)/);
    });

    it('rolls everything back when the last entity breaks a database constraint', async () => {
      const before = await dump();
      const events = await parts.store.events.latestId();
      const doc = parse(before);
      doc.services.push({ name: 'shipping', url: 'http://shipping.decl.test' });
      doc.routes.push({ name: 'parcels', service: 'shipping', paths: ['/parcels'] });
      // custom_id is unique in the database only: the file's checks cannot see this.
      doc.consumers.push({ username: 'bob', custom_id: 'B-1' }, { username: 'carol', custom_id: 'B-1' });
      const result = await apply(doc);
      assert.ok(!result.ok);
      assert.equal(result.stage, 'apply');
      // The path names the entity; the field is the store's own mapping of the driver's error.
      assert.ok(result.errors[0]!.path.startsWith(`consumers[${doc.consumers.length - 1}].`), result.errors[0]!.path);
      assert.equal(await dump(), before);
      assert.equal(await parts.store.events.latestId(), events);
    });

    it('checks only what it writes: a stored entity its schema would now refuse blocks no other change', async () => {
      const [keyAuth] = await parts.store.plugins.listAll({ name: 'key-auth' });
      const stale = keyAuth ?? (await parts.store.plugins.insert({ name: 'key-auth', service: { name: 'billing' } }));
      // As if written by an older version whose schema allowed it.
      await parts.store.db
        .updateTable('plugins')
        .set({ config: JSON.stringify({ key_names: 'apikey' }) })
        .where('id', '=', stale.id)
        .execute();
      const doc = parse(await dump());
      doc.consumers.push({ username: 'dave' });
      assert.deepEqual(lines(await apply(doc)), ['+ consumer dave']);
      doc.plugins.find((p: any) => p.name === 'key-auth').enabled = false;
      const refused = await apply(doc);
      assert.ok(!refused.ok);
      assert.match(refused.errors[0]!.path, /^plugins\[\d\]\.config\.key_names$/);
      await parts.store.plugins.delete(stale.id);
    });

    it('reports the progress of every change, in order', async () => {
      const doc = parse(await dump());
      const many = Array.from({ length: 60 }, (_, i) => ({ username: `bulk-${String(i).padStart(2, '0')}` }));
      doc.consumers.push(...many);
      const seen: [number, number][] = [];
      const result = await applyDocument(deps, stringify(doc), { onProgress: (done, total) => seen.push([done, total]) });
      assert.equal(result.ok, true);
      assert.deepEqual(
        seen,
        many.map((_, i) => [i + 1, 60]),
      );
      doc.consumers = doc.consumers.filter((c: any) => !c.username.startsWith('bulk-'));
      assert.equal((await apply(doc)).changes.length, 60);
    });

    const invalid: [string, (doc: any) => unknown, string[]][] = [
      ['a wrong format version', (d) => ({ ...d, _format_version: '2.0' }), ['_format_version']],
      ['an unknown list', (d) => ({ ...d, upstreams: [] }), ['upstreams']],
      ['a list that is not a list', (d) => ({ ...d, routes: { name: 'x' } }), ['routes']],
      [
        'a bad path and an unknown field',
        (d) => ({ ...d, routes: [...d.routes, { name: 'x', service: 'billing', paths: ['no-slash'], colour: 1 }] }),
        ['routes[2].paths[0]', 'routes[2].colour'],
      ],
      [
        'a reference to an entity not in the file',
        (d) => ({ ...d, routes: [...d.routes, { name: 'y', service: 'nowhere', paths: ['/y'] }] }),
        ['routes[2].service'],
      ],
      ['a name twice', (d) => ({ ...d, consumers: [{ username: 'alice' }, { username: 'alice' }] }), ['consumers[1]']],
      ['a certificate without an id', (d) => ({ ...d, ca_certificates: [{ cert: d.ca_certificates[0].cert }] }), ['ca_certificates[0].id']],
      [
        'a plugin config its schema refuses',
        (d) => ({ ...d, plugins: [...d.plugins, { name: 'key-auth', config: { key_names: 'x' } }] }),
        ['plugins[1].config.key_names'],
      ],
      ['a route without paths, hosts, methods or headers', (d) => ({ ...d, routes: [...d.routes, { name: 'z', service: 'billing' }] }), ['routes[2].paths']],
      ['an uninstalled plugin', (d) => ({ ...d, plugins: [...d.plugins, { name: 'no-such-plugin' }] }), ['plugins[1].name']],
    ];
    for (const [what, edit, paths] of invalid) {
      it(`reports ${what} with its path and writes nothing`, async () => {
        const before = await dump();
        const result = await apply(edit(parse(before)));
        assert.ok(!result.ok, 'the file was accepted');
        assert.deepEqual(result.errors.map((e) => e.path).sort(), [...paths].sort(), JSON.stringify(result.errors));
        assert.equal(await dump(), before);
      });
    }

    it('reports YAML that does not parse, and a file that is not a mapping', async () => {
      for (const text of ['services: [', '- a list', '"text"']) {
        const result = await apply(text);
        assert.ok(!result.ok && result.stage === 'file' && result.errors[0]!.path === '(file)', text);
      }
    });
  });
}
