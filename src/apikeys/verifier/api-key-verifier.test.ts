import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createStore, type Store } from '../../store/store.js';
import { loadConfig } from '../../config/load-config.js';
import { createKeyHashers, type KeyHashers } from '../hashing/key-hashers.js';
import { generateApiKey } from '../key-format.js';
import { createIssuerDirectory } from '../lifecycle/issuers.js';
import { createApiKeyService, type ApiKeyService } from '../lifecycle/api-key-service.js';
import { createApiKeyVerifier, type ApiKeyVerifier } from './api-key-verifier.js';
import { createCacheInvalidator } from './cache-invalidator.js';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { TEST_CIPHER } from '../../store/testing/test-cipher.js';

const logger = pino({ level: 'silent' });
const open = { protectedConnection: true };

for (const dialect of DIALECTS) {
  describe(`API key verifier on ${dialect}`, () => {
    let database: TestDatabase;
    let store: Store;
    let keys: ApiKeyService;
    let verifier: ApiKeyVerifier;
    let lookups = 0;
    let lookupGate: Promise<void> | null = null;
    let clock = Date.parse('2026-11-22T10:00:00Z');
    let remote: Server;
    let remoteCalls = 0;
    let serviceId = '';
    let otherServiceId = '';
    const used: string[] = [];
    const remoteValid = generateApiKey('mgt').key.reveal();

    const build = (hashers: KeyHashers, remoteUrl: string) => {
      const config = loadConfig({
        env: {
          PORTCULLIS_API_KEYS_ISSUERS: JSON.stringify([
            { name: 'portcullis', prefix: 'pcg', type: 'local' },
            { name: 'devportal', prefix: 'dev', type: 'push' },
            { name: 'mgmt', prefix: 'mgt', type: 'remote', url: remoteUrl, token: 'remote-token', cache_ttl: 60, neg_cache_ttl: 60 },
          ]),
        },
      });
      const issuers = createIssuerDirectory(config.api_keys.issuers);
      const countingDao = new Proxy(store.apiKeys, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver);
          if (prop === 'findByLookup')
            return async (...args: [string]) => {
              lookups++;
              const found = await target.findByLookup(...args);
              if (lookupGate) await lookupGate; // the row was read; the test changes it now
              return found;
            };
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
      keys = createApiKeyService({ store, config: config.api_keys, issuers, hashers, now: () => clock });
      verifier = createApiKeyVerifier(
        {
          dao: countingDao,
          hashers,
          issuers,
          logger,
          now: () => clock,
          onUsed: (id) => used.push(id),
          findConsumerId: async (ref) => (await store.consumers.get(ref))?.id ?? null,
        },
        config.api_keys,
      );
      const invalidator = createCacheInvalidator(verifier.cache);
      store.onCommit((events) => invalidator.onEvents(events));
    };

    before(async () => {
      remote = createServer((req, res) => {
        remoteCalls++;
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          const ok = req.headers.authorization === 'Bearer remote-token' && JSON.parse(body).api_key === remoteValid;
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ok ? { valid: true, consumer: 'alice' } : { valid: false }));
        });
      });
      await new Promise<void>((r) => remote.listen(0, '127.0.0.1', r));
      database = await createTestDatabase(dialect);
      store = createStore({ cipher: TEST_CIPHER, config: database.config });
      await store.migrate();
      serviceId = (await store.services.insert({ name: 'orders', url: 'http://orders.test' })).id;
      otherServiceId = (await store.services.insert({ name: 'billing', url: 'http://billing.test' })).id;
      await store.consumers.insert({ username: 'alice' });
      build(createKeyHashers('sha256'), `http://127.0.0.1:${(remote.address() as AddressInfo).port}/validate`);
    });
    after(async () => {
      remote.close();
      await store.close();
      await database.drop();
    });

    const scope = () => ({ serviceId });

    it('refuses a malformed key, a bad checksum and an unknown prefix without any lookup', async () => {
      lookups = 0;
      const good = generateApiKey('pcg').key.reveal();
      assert.equal((await verifier.verify('not a key', scope())).status, 'malformed');
      assert.equal((await verifier.verify(good.slice(0, -1) + (good.endsWith('0') ? '1' : '0'), scope())).status, 'malformed');
      assert.equal((await verifier.verify(good.toUpperCase(), scope())).status, 'malformed');
      assert.equal((await verifier.verify(good.replace('a', '\u0430'), scope())).status, 'malformed', 'a Cyrillic look-alike');
      assert.equal((await verifier.verify(generateApiKey('zzz').key.reveal(), scope())).status, 'unknown_issuer');
      assert.equal((await verifier.verify('x'.repeat(10_000), scope())).status, 'malformed');
      assert.equal(lookups, 0);
    });

    it('verifies a generated key once against the store, then from memory', async () => {
      const { plaintext, record } = await keys.create({ service: 'orders' }, { name: 'app', consumer: 'alice' }, open);
      lookups = 0;
      const first = await verifier.verify(plaintext!.reveal(), scope());
      assert.equal(first.status, 'valid');
      assert.equal(first.status === 'valid' && first.key.keyId, record.key_id);
      assert.equal(first.status === 'valid' && first.key.consumerId, record.consumer!.id);
      assert.equal((await verifier.verify(plaintext!.reveal(), scope())).status, 'valid');
      assert.equal(lookups, 1);
      assert.ok(used.includes(record.key_id));
    });

    it('shares one lookup between concurrent requests for one uncached key', async () => {
      const { plaintext } = await keys.create({ service: 'orders' }, { name: 'burst' }, open);
      lookups = 0;
      const results = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(plaintext!.reveal(), scope())));
      assert.ok(results.every((r) => r.status === 'valid'));
      assert.equal(lookups, 1);
    });

    it('remembers an unknown key in the negative cache', async () => {
      const unknown = generateApiKey('pcg').key.reveal();
      lookups = 0;
      assert.equal((await verifier.verify(unknown, scope())).status, 'not_found');
      assert.equal((await verifier.verify(unknown, scope())).status, 'not_found');
      assert.equal(lookups, 1);
    });

    it('refuses a key of one service on another, but accepts a consumer key on any service', async () => {
      const { plaintext } = await keys.create({ service: 'orders' }, { name: 'scoped' }, open);
      assert.equal((await verifier.verify(plaintext!.reveal(), { serviceId: otherServiceId })).status, 'out_of_scope');
      const consumerKey = await keys.create({ consumer: 'alice' }, { name: 'everywhere' }, open);
      assert.equal((await verifier.verify(consumerKey.plaintext!.reveal(), { serviceId: otherServiceId })).status, 'valid');
      assert.equal((await verifier.verify(consumerKey.plaintext!.reveal(), { serviceId, issuers: ['devportal'] })).status, 'issuer_not_accepted');
    });

    it('stops accepting a cached key the moment it is revoked', async () => {
      const { plaintext } = await keys.create({ service: 'orders' }, { name: 'to-revoke' }, open);
      assert.equal((await verifier.verify(plaintext!.reveal(), scope())).status, 'valid');
      await keys.revoke({ service: 'orders' }, 'to-revoke');
      const after = await verifier.verify(plaintext!.reveal(), scope());
      assert.equal(after.status, 'revoked');
    });

    describe('never caches a key that changed while its lookup was running', () => {
      /** Starts a verify whose lookup reads the row, runs `change`, then lets the lookup finish. */
      const race = async (presented: string, change: () => Promise<unknown>) => {
        let open!: () => void;
        lookupGate = new Promise<void>((resolve) => (open = resolve));
        const before = lookups;
        const racing = verifier.verify(presented, scope());
        while (lookups === before) await new Promise((resolve) => setImmediate(resolve));
        await change();
        lookupGate = null;
        open();
        return racing;
      };

      it('a revoke: the next verify goes to the store and sees it revoked', async () => {
        const { plaintext } = await keys.create({ service: 'orders' }, { name: 'race-revoke' }, open);
        await race(plaintext!.reveal(), () => keys.revoke({ service: 'orders' }, 'race-revoke'));
        const before = lookups;
        assert.equal((await verifier.verify(plaintext!.reveal(), scope())).status, 'revoked');
        assert.equal(lookups, before + 1);
      });

      it('a consumer deletion: the next verify no longer finds the key', async () => {
        const erin = await store.consumers.insert({ username: 'race-erin' });
        const { plaintext } = await keys.create({ consumer: 'race-erin' }, { name: 'race-consumer' }, open);
        await race(plaintext!.reveal(), () => store.consumers.delete(erin.id));
        assert.equal((await verifier.verify(plaintext!.reveal(), scope())).status, 'not_found');
      });

      it('a request made after the revoke does not join the lookup that read the key before it', async () => {
        const { plaintext } = await keys.create({ service: 'orders' }, { name: 'race-join' }, open);
        let late: ReturnType<ApiKeyVerifier['verify']> | undefined;
        await race(plaintext!.reveal(), async () => {
          await keys.revoke({ service: 'orders' }, 'race-join');
          late = verifier.verify(plaintext!.reveal(), scope());
        });
        assert.equal((await late!).status, 'revoked');
      });
    });

    it('keeps the old secret valid during the grace period only, the new one at once', async () => {
      const { plaintext: oldKey } = await keys.create({ service: 'orders' }, { name: 'rotating' }, open);
      assert.equal((await verifier.verify(oldKey!.reveal(), scope())).status, 'valid');
      const { plaintext: newKey } = await keys.regenerate({ service: 'orders' }, 'rotating', { grace_period: 30 });
      assert.equal((await verifier.verify(newKey!.reveal(), scope())).status, 'valid');
      assert.equal((await verifier.verify(oldKey!.reveal(), scope())).status, 'valid', 'old key works during the grace period');
      clock += 31_000;
      assert.equal((await verifier.verify(oldKey!.reveal(), scope())).status, 'expired', 'even while cached, the old key ends with the grace period');
      verifier.cache.clear();
      assert.equal((await verifier.verify(oldKey!.reveal(), scope())).status, 'not_found');
      assert.equal((await verifier.verify(newKey!.reveal(), scope())).status, 'valid');
    });

    it('reports an expired key as expired', async () => {
      const { plaintext } = await keys.create({ service: 'orders' }, { name: 'short-lived', expires_in: { unit: 'seconds', duration: 5 } }, open);
      assert.equal((await verifier.verify(plaintext!.reveal(), scope())).status, 'valid');
      clock += 6000;
      assert.equal((await verifier.verify(plaintext!.reveal(), scope())).status, 'expired');
    });

    it('finds external and pushed keys by their SHA-256 digest', async () => {
      await keys.create({ service: 'orders' }, { name: 'legacy', api_key: 'legacy-system-key-0123456789' }, open);
      assert.equal((await verifier.verify('legacy-system-key-0123456789', scope())).status, 'valid');
      const pushedKey = generateApiKey('dev').key.reveal();
      const { createHash } = await import('node:crypto');
      await keys.create({ service: 'orders' }, { name: 'portal', sha256: createHash('sha256').update(pushedKey).digest('hex') }, open);
      assert.equal((await verifier.verify(pushedKey, scope())).status, 'valid');
      assert.equal((await verifier.verify(generateApiKey('dev').key.reveal(), scope())).status, 'not_found');
    });

    it('drops cached keys of a deleted consumer', async () => {
      const bob = await store.consumers.insert({ username: 'bob' });
      const { plaintext } = await keys.create({ consumer: 'bob' }, { name: 'bobs' }, open);
      assert.equal((await verifier.verify(plaintext!.reveal(), scope())).status, 'valid');
      await store.consumers.delete(bob.id);
      assert.equal((await verifier.verify(plaintext!.reveal(), scope())).status, 'not_found');
    });

    it('asks a remote issuer on a miss, caches its answer, and forgets it on a revocation', async () => {
      remoteCalls = 0;
      const result = await verifier.verify(remoteValid, scope());
      assert.equal(result.status, 'valid');
      assert.equal(result.status === 'valid' && result.key.consumerId, (await store.consumers.get('alice'))!.id);
      assert.equal((await verifier.verify(remoteValid, scope())).status, 'valid');
      assert.equal(remoteCalls, 1);
      assert.equal((await verifier.verify(generateApiKey('mgt').key.reveal(), scope())).status, 'not_found');
      const keyId = remoteValid.slice(4, 20);
      await keys.announceRevocations([keyId], 'mgmt');
      await verifier.verify(remoteValid, scope());
      assert.equal(remoteCalls, 3, 'the revoked key was asked about again');
    });

    it('re-hashes a key stored under an older algorithm at its next verification', async () => {
      const { plaintext, record } = await keys.create({ service: 'orders' }, { name: 'old-algo' }, open);
      assert.equal(record.secret.algorithm, 'sha256');
      build(createKeyHashers('argon2id'), 'http://127.0.0.1:9/unused');
      assert.equal((await verifier.verify(plaintext!.reveal(), scope())).status, 'valid');
      for (let i = 0; i < 50; i++) {
        if ((await store.apiKeys.getById(record.id))!.secret.algorithm === 'argon2id') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.equal((await store.apiKeys.getById(record.id))!.secret.algorithm, 'argon2id');
      verifier.cache.clear();
      assert.equal((await verifier.verify(plaintext!.reveal(), scope())).status, 'valid');
    });
  });
}
