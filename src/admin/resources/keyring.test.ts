/** The `/keyring` routes of the Admin API, grouped by outcome, over an in-memory KeyringService. */
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createAdminHarness, type AdminHarness, type CallResult } from '../../../test/support/admin-harness.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { createMemoryKeyringService, MEMORY_RECOVERY_PEM, type MemoryKeyringService } from '../../../test/support/memory-keyring-service.js';
import type { KeyringService } from '../../keyring/keyring-service.js';
import { keyringRoutes, MAX_EXPORT_LENGTH, MAX_PEM_LENGTH } from './keyring.js';

const TOKEN = 'keyring-routes-admin-token-0123456789';
const RAW_KEY = Buffer.alloc(32, 7).toString('base64');

/** Every route, with a valid body where it takes one. */
const ROUTES: readonly [method: string, url: string, body?: unknown][] = [
  ['GET', '/keyring'],
  ['GET', '/keyring/active'],
  ['POST', '/keyring/generate'],
  ['POST', '/keyring/activate', { key: 'AAAAAAAA' }],
  ['POST', '/keyring/export'],
  ['POST', '/keyring/import', { data: 'x' }],
  ['POST', '/keyring/import/raw', { id: 'AAAAAAAA', key: RAW_KEY }],
  ['POST', '/keyring/remove', { key: 'AAAAAAAA' }],
  ['GET', '/keyring/usage'],
  ['POST', '/keyring/recover', { recovery_private_key: MEMORY_RECOVERY_PEM }],
  ['POST', '/keyring/vault/sync'],
  ['POST', '/keyring/rewrap'],
  ['GET', '/keyring/rewrap'],
];

describe('Admin API: keyring', () => {
  let database: TestDatabase;
  let h: AdminHarness;
  let svc: MemoryKeyringService;
  // Each test gets a fresh service behind the same routes.
  const keyring = new Proxy({} as KeyringService, {
    get: (_target, name) => (svc as unknown as Record<string | symbol, (...a: unknown[]) => unknown>)[name]!.bind(svc),
  });
  const call = (method: string, url: string, body?: unknown): Promise<CallResult> => h.call(method, url, body, { authorization: `Bearer ${TOKEN}` });
  /** A service holding one active key `id` and `count` values encrypted with it. */
  const withActiveKey = async (count = 0) => {
    const { id } = await svc.generate();
    await svc.activate(id);
    if (count) svc.addForeignValues(id, 'basicauth_credentials', count);
    return id;
  };

  before(async () => {
    database = await createTestDatabase('sqlite');
    h = await createAdminHarness(database, { config: { admin_token: TOKEN }, extraRoutes: [keyringRoutes({ keyring })] });
  });
  beforeEach(() => {
    svc = createMemoryKeyringService();
  });
  after(async () => {
    await h.close();
    await database.drop();
  });

  describe('200', () => {
    it('lists ids, the active key, check values, missing keys and completeness, never key material', async () => {
      const generated = await svc.generate();
      await svc.activate(generated.id);
      svc.addForeignValues('Zz9Zz9Zz', 'plugins', 3);
      const res = await call('GET', '/keyring');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body.ids, [generated.id]);
      assert.equal(res.body.active, generated.id);
      assert.deepEqual(res.body.missing, ['Zz9Zz9Zz']);
      assert.equal(res.body.complete, false);
      assert.match(res.body.keys[0].kcv, /^[0-9a-f]{8}$/);
      assert.equal(res.body.keys[0].active, true);
      assert.ok(!res.text.includes(generated.key), 'the listing never shows key material');
    });

    it('answers the active key id', async () => {
      const id = await withActiveKey();
      const res = await call('GET', '/keyring/active');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { id });
    });

    it('generates a key: id and material once, not cached, not active', async () => {
      const active = await withActiveKey();
      const res = await call('POST', '/keyring/generate');
      assert.equal(res.status, 200);
      assert.match(res.body.id, /^[A-Za-z0-9]{8}$/);
      assert.equal(Buffer.from(res.body.key, 'base64').length, 32);
      assert.equal(res.headers['cache-control'], 'no-store');
      const listed = await call('GET', '/keyring');
      assert.equal(listed.body.active, active);
      assert.ok(listed.body.ids.includes(res.body.id));
      assert.ok(!listed.text.includes(res.body.key));
    });

    it('exports an opaque blob, not cached', async () => {
      await withActiveKey();
      const res = await call('POST', '/keyring/export');
      assert.equal(res.status, 200);
      assert.equal(typeof res.body.data, 'string');
      assert.equal(res.headers['cache-control'], 'no-store');
    });

    it('counts stored values per key and entity', async () => {
      const id = await withActiveKey(5);
      svc.addForeignValues(id, 'plugins', 2);
      const res = await call('GET', '/keyring/usage');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { keys: { [id]: { total: 7, by_entity: { basicauth_credentials: 5, plugins: 2 } } }, plaintext: 0 });
    });

    it('recovers with the recovery private key: recovered and not recovered ids', async () => {
      svc.addForeignValues('Lost0001', 'plugins', 1);
      const res = await call('POST', '/keyring/recover', { recovery_private_key: MEMORY_RECOVERY_PEM });
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { recovered: [], not_recovered: ['Lost0001'] });
    });

    it('shows an idle rewrap before any was started', async () => {
      const res = await call('GET', '/keyring/rewrap');
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'idle');
    });
  });

  describe('201', () => {
    it('imports an export by merging: new ids imported, held ids existing, active unchanged unless asked', async () => {
      const mine = await withActiveKey();
      const theirs = 'Theirs01';
      const data = (await createNodeExport([theirs, 'Fresh001'], theirs)).data;
      const merged = await call('POST', '/keyring/import', { data });
      assert.equal(merged.status, 201);
      assert.deepEqual(merged.body, { imported: [theirs, 'Fresh001'], existing: [] });
      assert.equal((await call('GET', '/keyring/active')).body.id, mine);
      const again = await call('POST', '/keyring/import', { data, activate: true });
      assert.equal(again.status, 201);
      assert.deepEqual(again.body, { imported: [], existing: [theirs, 'Fresh001'] });
      assert.equal((await call('GET', '/keyring/active')).body.id, theirs);
    });

    it('imports one raw key and lists it', async () => {
      const res = await call('POST', '/keyring/import/raw', { id: 'Raw00001', key: RAW_KEY });
      assert.equal(res.status, 201);
      assert.deepEqual(res.body, { id: 'Raw00001' });
      assert.ok((await call('GET', '/keyring')).body.ids.includes('Raw00001'));
      const same = await call('POST', '/keyring/import/raw', { id: 'Raw00001', key: RAW_KEY });
      assert.equal(same.status, 201, 'the same material again is accepted');
    });
  });

  describe('202', () => {
    it('starts a rewrap, shows the running one when asked again, and leaves the old key unused', async () => {
      const old = await withActiveKey(100);
      const { id: next } = await svc.generate();
      await svc.activate(next);
      const started = await call('POST', '/keyring/rewrap');
      assert.equal(started.status, 202);
      assert.equal(started.body.status, 'running');
      assert.equal(started.body.target_key, next);
      assert.equal(started.body.total, 100);
      assert.equal((await call('GET', '/keyring/rewrap')).body.status, 'running');
      const again = await call('POST', '/keyring/rewrap');
      assert.equal(again.status, 202);
      assert.equal(again.body.started_at, started.body.started_at, 'the running rewrap, not a new one');
      let progress = (await call('GET', '/keyring/rewrap')).body;
      while (progress.status === 'running') progress = (await call('GET', '/keyring/rewrap')).body;
      assert.equal(progress.status, 'done');
      assert.equal(progress.done, 100);
      assert.equal((await call('GET', '/keyring/usage')).body.keys[old], undefined);
      assert.equal((await call('POST', '/keyring/remove', { key: old })).status, 204);
    });
  });

  describe('204', () => {
    it('activates a held key', async () => {
      await withActiveKey();
      const { id } = await svc.generate();
      const res = await call('POST', '/keyring/activate', { key: id });
      assert.equal(res.status, 204);
      assert.equal(res.text, '');
      assert.equal((await svc.status()).active, id);
    });

    it('removes an unused key, and a used one with force', async () => {
      await withActiveKey();
      const { id: unused } = await svc.generate();
      assert.equal((await call('POST', '/keyring/remove', { key: unused })).status, 204);
      const { id: used } = await svc.generate();
      svc.addForeignValues(used, 'plugins', 2);
      assert.equal((await call('POST', '/keyring/remove', { key: used, force: true })).status, 204);
      assert.deepEqual((await svc.status()).ids.length, 1);
    });

    it('syncs from Vault with keyring_strategy vault', async () => {
      svc = createMemoryKeyringService({ strategy: 'vault' });
      const res = await call('POST', '/keyring/vault/sync');
      assert.equal(res.status, 204);
    });
  });

  describe('400', () => {
    const badIds: readonly unknown[] = ['short', 'toolong123', 'with-das', 'ümlaute1', 'AAAA AAA', '', 12345678, null, ['AAAAAAAA']];
    const material = (bytes: number) => Buffer.alloc(bytes, 0xfb).toString('base64');
    const cases: readonly [label: string, url: string, body: unknown, path: string][] = [
      ...badIds.map((key): [string, string, unknown, string] => [`id ${JSON.stringify(key)}`, '/keyring/activate', { key }, 'key']),
      ...badIds.map((key): [string, string, unknown, string] => [`id ${JSON.stringify(key)}`, '/keyring/remove', { key }, 'key']),
      ...badIds.map((id): [string, string, unknown, string] => [`id ${JSON.stringify(id)}`, '/keyring/import/raw', { id, key: RAW_KEY }, 'id']),
      ['no key', '/keyring/activate', {}, 'key'],
      ['an unknown field', '/keyring/activate', { key: 'AAAAAAAA', id: 'AAAAAAAA' }, 'id'],
      ['a non-boolean force', '/keyring/remove', { key: 'AAAAAAAA', force: 'yes' }, 'force'],
      ['31 bytes of material', '/keyring/import/raw', { id: 'AAAAAAAA', key: material(31) }, 'key'],
      ['33 bytes of material', '/keyring/import/raw', { id: 'AAAAAAAA', key: material(33) }, 'key'],
      ['hex material', '/keyring/import/raw', { id: 'AAAAAAAA', key: 'ab'.repeat(32) }, 'key'],
      ['non-canonical base64', '/keyring/import/raw', { id: 'AAAAAAAA', key: `${material(32).slice(0, 42)}B=` }, 'key'],
      ['base64 without padding', '/keyring/import/raw', { id: 'AAAAAAAA', key: material(32).replace(/=$/, '') }, 'key'],
      ['base64url material', '/keyring/import/raw', { id: 'AAAAAAAA', key: `${Buffer.alloc(32, 0xfb).toString('base64url')}=` }, 'key'],
      ['no material', '/keyring/import/raw', { id: 'AAAAAAAA' }, 'key'],
      ['empty data', '/keyring/import', { data: '' }, 'data'],
      ['oversized data', '/keyring/import', { data: 'x'.repeat(MAX_EXPORT_LENGTH + 1) }, 'data'],
      ['a non-boolean activate', '/keyring/import', { data: 'x', activate: 'true' }, 'activate'],
      ['an unknown field', '/keyring/import', { blob: 'x' }, 'blob'],
      ['an empty key', '/keyring/recover', { recovery_private_key: '' }, 'recovery_private_key'],
      ['an oversized key', '/keyring/recover', { recovery_private_key: 'x'.repeat(MAX_PEM_LENGTH + 1) }, 'recovery_private_key'],
      ['an unknown field', '/keyring/recover', { private_key: MEMORY_RECOVERY_PEM }, 'private_key'],
    ];
    for (const [label, url, body, path] of cases) {
      it(`refuses ${url} with ${label}: PC_VALIDATION_FAILED at ${path}`, async () => {
        const res = await call('POST', url, body);
        assert.equal(res.status, 400, res.text);
        assert.equal(res.body.code, 'PC_VALIDATION_FAILED');
        assert.ok(
          res.body.fields.some((f: { path: string }) => f.path === path),
          res.text,
        );
        const key = (body as { key?: unknown }).key;
        if (url.endsWith('/raw') && typeof key === 'string' && key.length > 8) assert.ok(!res.text.includes(key), 'key material is never echoed');
      });
    }

    it('refuses a body on routes that need one when it is missing', async () => {
      for (const url of ['/keyring/activate', '/keyring/import', '/keyring/import/raw', '/keyring/remove', '/keyring/recover']) {
        const res = await call('POST', url);
        assert.equal(res.status, 400, url);
        assert.equal(res.body.code, 'PC_BAD_REQUEST');
      }
    });

    it('passes the service’s refusals through: an unreadable export, a wrong recovery key, vault sync without vault', async () => {
      const cases: readonly [string, unknown, string][] = [
        ['/keyring/import', { data: 'not-an-export' }, 'PC_KEYRING_EXPORT_INVALID'],
        ['/keyring/import', { data: 'memexport.!!!' }, 'PC_KEYRING_EXPORT_INVALID'],
        ['/keyring/recover', { recovery_private_key: '-----BEGIN PRIVATE KEY-----\nd3Jvbmc=\n-----END PRIVATE KEY-----\n' }, 'PC_KEYRING_EXPORT_INVALID'],
        ['/keyring/vault/sync', undefined, 'PC_KEYRING_NOT_CONFIGURED'],
      ];
      for (const [url, body, code] of cases) {
        const res = await call('POST', url, body);
        assert.equal(res.status, 400, url);
        assert.equal(res.body.code, code);
        assert.equal(typeof res.body.message, 'string');
      }
    });
  });

  describe('401', () => {
    for (const [method, url, body] of ROUTES) {
      it(`refuses ${method} ${url} without the admin token`, async () => {
        const res = await h.call(method, url, body);
        assert.equal(res.status, 401);
        assert.equal(res.body.code, 'PC_ADMIN_UNAUTHORIZED');
      });
    }
  });

  describe('404', () => {
    it('answers an unknown key id with PC_KEYRING_KEY_UNKNOWN naming it', async () => {
      await withActiveKey();
      for (const [url, body] of [
        ['/keyring/activate', { key: 'Unknown1' }],
        ['/keyring/remove', { key: 'Unknown1' }],
        ['/keyring/remove', { key: 'Unknown1', force: true }],
      ] as const) {
        const res = await call('POST', url, body);
        assert.equal(res.status, 404, url);
        assert.equal(res.body.code, 'PC_KEYRING_KEY_UNKNOWN');
        assert.match(res.body.message, /Unknown1/);
      }
    });
  });

  describe('409', () => {
    it('refuses removing the active key, and a key still in use saying how many values use it', async () => {
      const active = await withActiveKey();
      const activeRes = await call('POST', '/keyring/remove', { key: active });
      assert.equal(activeRes.status, 409);
      assert.equal(activeRes.body.code, 'PC_KEYRING_KEY_IN_USE');
      const { id: used } = await svc.generate();
      svc.addForeignValues(used, 'plugins', 42);
      const usedRes = await call('POST', '/keyring/remove', { key: used });
      assert.equal(usedRes.status, 409);
      assert.equal(usedRes.body.code, 'PC_KEYRING_KEY_IN_USE');
      assert.match(usedRes.body.message, /\b42\b/);
      assert.ok((await svc.status()).ids.includes(used), 'nothing was removed');
    });

    it('refuses a raw key or an export holding a held id with different material, importing nothing', async () => {
      await call('POST', '/keyring/import/raw', { id: 'Same0001', key: RAW_KEY });
      const raw = await call('POST', '/keyring/import/raw', { id: 'Same0001', key: Buffer.alloc(32, 9).toString('base64') });
      assert.equal(raw.status, 409);
      assert.equal(raw.body.code, 'PC_KEYRING_KEY_CONFLICT');
      const data = (await createNodeExport(['New00001', 'Same0001'], null)).data;
      const imported = await call('POST', '/keyring/import', { data });
      assert.equal(imported.status, 409);
      assert.equal(imported.body.code, 'PC_KEYRING_KEY_CONFLICT');
      assert.ok(!(await svc.status()).ids.includes('New00001'), 'nothing was imported');
    });
  });

  describe('503', () => {
    it('answers PC_KEYRING_EMPTY for the active key and a rewrap while no key is active', async () => {
      await svc.generate();
      for (const [method, url] of [
        ['GET', '/keyring/active'],
        ['POST', '/keyring/rewrap'],
      ] as const) {
        const res = await call(method, url);
        assert.equal(res.status, 503, url);
        assert.equal(res.body.code, 'PC_KEYRING_EMPTY');
      }
    });
  });

  it('documents every route in /openapi.json', async () => {
    const doc = (await call('GET', '/openapi.json')).body;
    for (const [method, url] of ROUTES) assert.ok(doc.paths[url]?.[method.toLowerCase()], `${method} ${url}`);
  });
});

/** The export of another node holding `ids` (fresh random material) with `active`. */
async function createNodeExport(ids: readonly string[], active: string | null): Promise<{ data: string }> {
  const node = createMemoryKeyringService();
  for (const id of ids)
    await node.importRaw({ id, key: Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 31 + id.charCodeAt(0)) % 256)).toString('base64') });
  if (active) await node.activate(active);
  return node.exportKeyring();
}
