import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pino from 'pino';
import { parse } from 'yaml';
import type { Config } from '../config/schema.js';
import { openStoreParts, type StoreParts } from '../node/store-parts.js';
import { createApiKeyService, type ApiKeyService } from '../apikeys/lifecycle/api-key-service.js';
import { createPluginRegistry, BUILTIN_PLUGINS } from '../plugins/registry.js';
import { sha256Hex } from '../apikeys/hashing/sha256-hex.js';
import { LOCALHOST_TLS, TEST_CA_PEM } from '../../test/support/tls-fixtures.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { mapDeck } from './map-deck.js';
import { applyPlan, type ItemResult } from './apply-plan.js';
import { summarize } from './import-summary.js';

const FIXTURE = readFileSync(new URL('../../test/fixtures/kong/kong.yaml', import.meta.url), 'utf8');
const KEYS = ['alice-orders-key-7c1d5b2e9a40f3', 'alice-second-key-0e4f8a2b6c9d17', 'bob-billing-key-3a9e1c7f5d2b80', 'carol-mobile-key-6d2f0a8c4e1b95'];
const registry = createPluginRegistry(BUILTIN_PLUGINS);
const planOf = (doc: unknown) => mapDeck(doc, { registry, nowSeconds: Math.floor(Date.now() / 1000) });
const outcomes = (results: readonly ItemResult[]) => results.map((r) => `${r.outcome} ${r.path}`);

for (const dialect of DIALECTS) {
  describe(`applyPlan on ${dialect}`, () => {
    let database: TestDatabase;
    let parts: StoreParts;
    let keys: ApiKeyService;

    before(async () => {
      database = await createTestDatabase(dialect);
      const config = database.config as Config;
      parts = await openStoreParts({ config, env: {}, logger: pino({ level: 'silent' }), migrations: 'apply' });
      keys = createApiKeyService({ store: parts.store, config: config.api_keys, issuers: parts.issuers, hashers: parts.keyHashers });
    });
    after(async () => {
      await parts.close();
      await database.drop();
    });

    it('a dry run writes nothing and says every item would be created', async () => {
      const events = async () => (await parts.store.db.selectFrom('cluster_events').selectAll().execute()).length;
      const eventsBefore = await events();
      const results = await applyPlan(planOf(parse(FIXTURE)), { store: parts.store, keys, dryRun: true });
      assert.ok(
        results.every((r) => r.outcome === 'created'),
        JSON.stringify(results),
      );
      assert.equal((await parts.store.services.list()).data.length, 0);
      assert.equal((await parts.store.apiKeys.list({})).data.length, 0);
      assert.equal(await events(), eventsBefore, 'no event either');
    });

    it("imports the fixture with Kong's ids, keys as external keys of their consumer, and a cluster event per write", async () => {
      const progress: string[] = [];
      const results = await applyPlan(planOf(parse(FIXTURE)), { store: parts.store, keys, dryRun: false, onCredential: (d, t) => progress.push(`${d}/${t}`) });
      assert.ok(
        results.every((r) => r.outcome === 'created'),
        JSON.stringify(results),
      );
      assert.deepEqual(progress, ['1/5', '2/5', '3/5', '4/5', '5/5']);
      const route = await parts.store.routes.getOrFail('order-by-id');
      assert.equal(route.id, '7f0c3b1e-1d2a-4c5b-9e8f-0a1b2c3d4e12');
      assert.deepEqual(route.paths, ['~/v2/orders/(?<id>[0-9]+)$']);
      assert.equal(route.service?.id, '7f0c3b1e-1d2a-4c5b-9e8f-0a1b2c3d4e01');
      const alice = await parts.store.consumers.getOrFail('alice');
      const aliceKeys = (await parts.store.apiKeys.list({ consumer_id: alice.id })).data;
      assert.deepEqual(aliceKeys.map((k) => [k.name, k.source, k.issuer, k.secret.lookup]).sort(), [
        ['kong-7f0c3b1e-1d2a-4c5b-9e8f-0a1b2c3d4e41', 'external', 'external', `sha256:${sha256Hex(KEYS[0]!)}`],
        ['kong-7f0c3b1e-1d2a-4c5b-9e8f-0a1b2c3d4e42', 'external', 'external', `sha256:${sha256Hex(KEYS[1]!)}`],
      ]);
      assert.ok(aliceKeys.find((k) => k.name.endsWith('42'))!.expires_at! > Date.now() / 1000 + 364 * 86_400, 'ttl became an expiry');
      const events = await parts.store.db.selectFrom('cluster_events').selectAll().execute();
      assert.ok(events.length >= results.length, 'every write recorded its event');
    });

    it('stores no key value and no basic-auth password in clear anywhere in the database', async () => {
      const dump = JSON.stringify(
        await Promise.all(
          ['api_keys', 'basicauth_credentials', 'cluster_events', 'consumers', 'plugins'].map((t) => parts.store.db.selectFrom(t).selectAll().execute()),
        ),
      );
      for (const secret of [...KEYS, 'carol-correct-horse-battery']) assert.ok(!dump.includes(secret), 'a secret in the database');
      if (dialect === 'sqlite') {
        const folder = dirname((database.config as Config).sqlite_path);
        for (const f of readdirSync(folder)) {
          const bytes = readFileSync(join(folder, f)).toString('latin1');
          for (const secret of KEYS) assert.ok(!bytes.includes(secret), `a key in ${f}`);
        }
      }
    });

    it('a second import of the same file creates nothing and never duplicates a key', async () => {
      const before = (await parts.store.apiKeys.list({})).data.length;
      const results = await applyPlan(planOf(parse(FIXTURE)), { store: parts.store, keys, dryRun: false });
      assert.ok(
        results.every((r) => r.outcome === 'exists'),
        JSON.stringify(results),
      );
      assert.equal((await parts.store.apiKeys.list({})).data.length, before);
      const summary = summarize(planOf(parse(FIXTURE)), results, false);
      assert.deepEqual(summary.totals, { created: 0, exists: 16, skipped: 0, failed: 0, unsupported: 5 });
    });

    it('never brings back a key revoked since the first import', async () => {
      await keys.revoke({ consumer: 'carol' }, 'kong-7f0c3b1e-1d2a-4c5b-9e8f-0a1b2c3d4e44');
      const results = await applyPlan(planOf(parse(FIXTURE)), { store: parts.store, keys, dryRun: false });
      assert.equal(results.find((r) => r.path === 'consumers[2].keyauth_credentials[0]')!.outcome, 'exists');
      const carol = await parts.store.consumers.getOrFail('carol');
      const active = (await parts.store.apiKeys.list({ consumer_id: carol.id, status: 'active', nowSeconds: Math.floor(Date.now() / 1000) })).data;
      assert.equal(active.length, 0);
    });

    it('finds existing entities by name when the file has no ids, and refers to entities only in the database', async () => {
      const doc = {
        _format_version: '3.0',
        services: [{ name: 'orders', url: 'http://elsewhere.test' }],
        routes: [{ name: 'late-route', service: { name: 'billing' }, paths: ['/late'] }],
        plugins: [{ name: 'request-termination', route: 'orders-list', config: { status_code: 410 } }],
      };
      const results = await applyPlan(planOf(doc), { store: parts.store, keys, dryRun: false });
      assert.deepEqual(outcomes(results), ['exists services[0]', 'created routes[0]', 'created plugins[0]']);
      assert.equal((await parts.store.services.getOrFail('orders')).host, '127.0.0.1', 'an existing entity is left as it is');
      assert.equal((await parts.store.routes.getOrFail('late-route')).service?.id, '7f0c3b1e-1d2a-4c5b-9e8f-0a1b2c3d4e02');
    });

    it('skips what depends on a missing entity and fails a conflict, writing the rest', async () => {
      const doc = {
        _format_version: '3.0',
        routes: [{ name: 'orphan', service: 'no-such-service', paths: ['/orphan'] }],
        consumers: [
          { username: 'dave', keyauth_credentials: [{ key: KEYS[0] }, { key: 'dave-own-key-1a2b3c4d5e6f708' }] },
          { username: 'erin', basicauth_credentials: [{ username: 'carol', password: 'another-password-123' }] },
        ],
      };
      const results = await applyPlan(planOf(doc), { store: parts.store, keys, dryRun: false });
      assert.deepEqual(outcomes(results), [
        'skipped routes[0]',
        'created consumers[0]',
        'created consumers[1]',
        'failed consumers[1].basicauth_credentials[0]',
        'failed consumers[0].keyauth_credentials[0]',
        'created consumers[0].keyauth_credentials[1]',
      ]);
      assert.match(results[0]!.reason!, /no-such-service/);
      assert.match(results[4]!.reason!, /another owner/);
      assert.ok(!JSON.stringify(results).includes(KEYS[0]!), 'no value in a reason');
    });

    it("imports certificates with their SNIs and CA certificates under Kong's ids, which services refer to", async () => {
      const caId = '5a0c3b1e-1d2a-4c5b-9e8f-0a1b2c3d4e99';
      const doc = {
        _format_version: '3.0',
        ca_certificates: [{ id: caId, cert: TEST_CA_PEM, cert_digest: 'ignored' }],
        certificates: [{ cert: LOCALHOST_TLS.cert, key: LOCALHOST_TLS.key, snis: [{ name: 'localhost' }] }],
        services: [{ name: 'secure', url: 'https://secure.test', ca_certificates: [caId], tls_verify: true }],
      };
      const first = await applyPlan(planOf(doc), { store: parts.store, keys, dryRun: false });
      assert.deepEqual(outcomes(first), ['created ca_certificates[0]', 'created certificates[0]', 'created services[0]']);
      assert.deepEqual((await parts.store.services.getOrFail('secure')).ca_certificates, [caId]);
      assert.equal((await parts.store.snis.getOrFail('localhost')).certificate.id, (await parts.store.certificates.list()).data[0]!.id);
      const again = await applyPlan(planOf(doc), { store: parts.store, keys, dryRun: false });
      assert.deepEqual(outcomes(again), ['exists ca_certificates[0]', 'exists certificates[0]', 'exists services[0]']);
      const dump = JSON.stringify(await parts.store.db.selectFrom('certificates').selectAll().execute());
      assert.ok(!dump.includes(LOCALHOST_TLS.key.split('\n')[1]!), 'the private key is encrypted at rest');
    });

    it('reports a write the store refuses (a consumer over its key limit) as failed, with the code', async () => {
      const many = Array.from({ length: 101 }, (_, i) => ({ key: `limit-key-${String(i).padStart(4, '0')}-abcdefgh` }));
      const results = await applyPlan(planOf({ _format_version: '3.0', consumers: [{ username: 'frank', keyauth_credentials: many }] }), {
        store: parts.store,
        keys,
        dryRun: false,
      });
      const failed = results.filter((r) => r.outcome === 'failed');
      assert.equal(failed.length, 1);
      assert.match(failed[0]!.reason!, /PC_STORE_LIMIT_REACHED/);
      // The refusal rolled its chunk back; written again key by key, the other 100 are all there.
      assert.equal(results.filter((r) => r.outcome === 'created').length, 101, 'the consumer and 100 keys');
      const frank = await parts.store.consumers.getOrFail('frank');
      assert.equal(await parts.store.apiKeys.countActive({ consumer_id: frank.id }, Math.floor(Date.now() / 1000)), 100);
    });
  });
}
