import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createStore, type Store } from '../../store/store.js';
import { createArgon2idHasher } from '../../apikeys/hashing/argon2id-hasher.js';
import type { KeyHasher } from '../../apikeys/hashing/key-hasher.js';
import type { BasicAuthCheck } from '../plugin.js';
import { basicAuthCredentialHook } from './credential-hook.js';
import { createBasicAuthVerifier } from './credential-verifier.js';
import { createFailureLimiter, type FailureLimiterConfig } from './failure-limiter.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { TEST_CIPHER } from '../../store/testing/test-cipher.js';

const LIMITS: FailureLimiterConfig = {
  failure_window: 900,
  lockout_base: 1,
  pair_max_failures: 5,
  pair_lockout_cap: 900,
  address_max_failures: 30,
  address_lockout_cap: 900,
  username_max_failures: 100,
  username_lockout_cap: 30,
  max_tracked: 1000,
};
const HOME = '192.0.2.1';

/** A promise to pause on, opened by hand. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('basic-auth credential verifier', () => {
  let database: TestDatabase;
  let store: Store;
  const argon = createArgon2idHasher();
  let verifies = 0;
  let lookups = 0;
  /** When set, a store lookup pauses on it after reading the row; a password check, before comparing. */
  let lookupGate: Promise<void> | null = null;
  let checkGate: Promise<void> | null = null;
  const hasher: KeyHasher = {
    ...argon,
    verify: async (key, stored) => {
      verifies++;
      if (checkGate) await checkGate;
      return argon.verify(key, stored);
    },
  };
  const credentials = {
    get: async (ref: string) => {
      lookups++;
      const row = await store.basicAuthCredentials.get(ref);
      if (lookupGate) await lookupGate;
      return row;
    },
  };

  const build = (limits: Partial<FailureLimiterConfig> = {}) => {
    const failures: string[] = [];
    const throttled: string[] = [];
    const verifier = createBasicAuthVerifier(
      {
        credentials,
        hasher,
        limiter: createFailureLimiter({}, { ...LIMITS, ...limits }),
        logger: pino({ level: 'silent' }),
        onFailure: (reason) => failures.push(reason),
        onThrottled: (scope) => throttled.push(scope),
      },
      { ttlSeconds: 60, concurrency: 2 },
    );
    store.onCommit((events) => verifier.onEvents(events));
    return { verifier, failures, throttled };
  };

  /** A fresh consumer with one credential (username = consumer name). */
  const person = async (name: string, password: string) => {
    const consumer = await store.consumers.insert({ username: name });
    const credential = await store.basicAuthCredentials.insert({ consumer: { id: consumer.id }, username: name, password });
    return { consumer, credential };
  };

  before(async () => {
    database = await createTestDatabase('sqlite');
    store = createStore({ cipher: TEST_CIPHER, config: database.config, hooks: { basicauth_credentials: basicAuthCredentialHook(argon) } });
    await store.migrate();
    await person('carol', 's3cret: with colon');
  });
  after(async () => {
    await store.close();
    await database.drop();
  });
  beforeEach(() => {
    lookupGate = null;
    checkGate = null;
  });

  describe('checks passwords', () => {
    it('stores the password as an argon2id hash, itself encrypted by the keyring, never the plaintext', async () => {
      const rows = await store.db.selectFrom('basicauth_credentials').selectAll().execute();
      assert.match(rows[0]!.password, /^\$ke\$1\$-/);
      assert.match((await store.basicAuthCredentials.get(rows[0]!.id))!.password, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      assert.ok(!JSON.stringify(rows).includes('s3cret'));
    });

    it('accepts the right password and refuses a wrong one', async () => {
      const { verifier, failures } = build();
      assert.equal((await verifier.verify('carol', 's3cret: with colon', HOME)).ok, true);
      assert.deepEqual(await verifier.verify('carol', 'wrong', HOME), { ok: false, reason: 'wrong_password' });
      assert.deepEqual(failures, ['wrong_password']);
    });

    it('accepts a username sent in another Unicode normalisation form than the stored (NFC) one', async () => {
      const { verifier } = build();
      await person('jos\u00e9', 'pw-nfc');
      for (const spelling of ['jos\u00e9', 'jose\u0301']) {
        assert.equal((await verifier.verify(spelling, 'pw-nfc', HOME)).ok, true, JSON.stringify(spelling));
      }
    });

    it('spends one argon2id check on an unknown username too, and none on a repeat, as for a wrong password', async () => {
      const { verifier } = build();
      for (const [user, reason] of [
        ['mallory', 'unknown_username'],
        ['carol', 'wrong_password'],
      ] as const) {
        verifies = 0;
        assert.deepEqual(await verifier.verify(user, 'anything', HOME), { ok: false, reason });
        assert.equal(verifies, 1, user);
        assert.deepEqual(await verifier.verify(user, 'anything', HOME), { ok: false, reason });
        assert.equal(verifies, 1, `${user}, repeated`);
      }
    });

    it('remembers a right password so the same credentials skip argon2id, until the credential changes', async () => {
      const { verifier } = build();
      const { credential } = await person('erin', 'erin-password');
      await verifier.verify('erin', 'erin-password', HOME);
      verifies = 0;
      assert.equal((await verifier.verify('erin', 'erin-password', HOME)).ok, true);
      assert.equal(verifies, 0);
      await store.basicAuthCredentials.update(credential.id, { tags: ['touched'] });
      assert.equal((await verifier.verify('erin', 'erin-password', HOME)).ok, true);
      assert.equal(verifies, 1);
    });

    it('accepts at once a password that was wrong before a change made it the right one', async () => {
      const { verifier } = build();
      const { credential } = await person('frank', 'old-password');
      assert.equal((await verifier.verify('frank', 'new-password', HOME)).ok, false);
      await store.basicAuthCredentials.update(credential.id, { password: 'new-password' });
      assert.equal((await verifier.verify('frank', 'new-password', HOME)).ok, true);
      assert.equal((await verifier.verify('frank', 'old-password', HOME)).ok, false);
    });

    it('accepts at once a credential created for a username that was unknown a moment ago', async () => {
      const { verifier } = build();
      assert.deepEqual(await verifier.verify('grace', 'grace-password', HOME), { ok: false, reason: 'unknown_username' });
      await person('grace', 'grace-password');
      assert.equal((await verifier.verify('grace', 'grace-password', HOME)).ok, true);
    });

    it('shares one argon2id check between concurrent requests with the same credentials', async () => {
      const { verifier, throttled } = build();
      await person('heidi', 'heidi-password');
      verifies = 0;
      const results = await Promise.all(Array.from({ length: 12 }, () => verifier.verify('heidi', 'heidi-password', HOME)));
      assert.ok(results.every((r) => r.ok));
      assert.equal(verifies, 1);
      assert.deepEqual(throttled, []);
    });
  });

  describe('never resurrects a credential a lookup read before it changed', () => {
    /** Starts a verify whose store lookup reads the row, then waits until `change` has run. */
    const raceLookup = async (verify: () => Promise<BasicAuthCheck>, change: () => Promise<unknown>) => {
      const paused = gate();
      lookupGate = paused.opened;
      const before = lookups;
      const racing = verify();
      while (lookups === before) await new Promise((resolve) => setImmediate(resolve));
      await change();
      lookupGate = null;
      paused.open();
      return racing;
    };

    const cases: Array<{
      name: string;
      user: string;
      change: (ids: { consumer: string; credential: string }) => Promise<unknown>;
      after: Array<[string, string, BasicAuthCheck['ok']]>;
    }> = [
      {
        name: 'deleted credential',
        user: 'race-delete',
        change: ({ credential }) => store.basicAuthCredentials.delete(credential),
        after: [['race-delete', 'pw-race-delete', false]],
      },
      {
        name: 'changed password',
        user: 'race-password',
        change: ({ credential }) => store.basicAuthCredentials.update(credential, { password: 'changed-password' }),
        after: [
          ['race-password', 'pw-race-password', false],
          ['race-password', 'changed-password', true],
        ],
      },
      {
        name: 'deleted consumer',
        user: 'race-consumer',
        change: ({ consumer }) => store.consumers.delete(consumer),
        after: [['race-consumer', 'pw-race-consumer', false]],
      },
      {
        name: 'changed username',
        user: 'race-rename',
        change: ({ credential }) => store.basicAuthCredentials.update(credential, { username: 'race-renamed' }),
        after: [
          ['race-rename', 'pw-race-rename', false],
          ['race-renamed', 'pw-race-rename', true],
        ],
      },
    ];

    for (const { name, user, change, after: expected } of cases) {
      it(`a ${name}: the next verify goes to the store and sees the change`, async () => {
        const { verifier } = build();
        const { consumer, credential } = await person(user, `pw-${user}`);
        await raceLookup(
          () => verifier.verify(user, `pw-${user}`, HOME),
          () => change({ consumer: consumer.id, credential: credential.id }),
        );
        const before = lookups;
        for (const [u, p, ok] of expected) assert.equal((await verifier.verify(u, p, HOME)).ok, ok, `${u} / ${p}`);
        assert.ok(lookups > before, 'the store was asked again');
      });
    }

    it('a credential created while the lookup that found no such username was running', async () => {
      const { verifier } = build();
      const result = await raceLookup(
        () => verifier.verify('race-create', 'pw-race-create', HOME),
        () => person('race-create', 'pw-race-create'),
      );
      assert.deepEqual(result, { ok: false, reason: 'unknown_username' });
      assert.equal((await verifier.verify('race-create', 'pw-race-create', HOME)).ok, true);
    });

    it('a request made after the delete does not join the lookup that started before it', async () => {
      const { verifier } = build();
      const { credential } = await person('race-join', 'pw-race-join');
      let late: Promise<BasicAuthCheck> | undefined;
      await raceLookup(
        () => verifier.verify('race-join', 'pw-race-join', HOME),
        async () => {
          await store.basicAuthCredentials.delete(credential.id);
          late = verifier.verify('race-join', 'pw-race-join', HOME);
        },
      );
      assert.deepEqual(await late, { ok: false, reason: 'unknown_username' });
    });

    it('a credential deleted while its password check was running', async () => {
      const { verifier } = build();
      const { credential } = await person('race-check', 'pw-race-check');
      assert.deepEqual(await verifier.verify('race-check', 'nope', HOME), { ok: false, reason: 'wrong_password' }, 'credential now cached');
      const paused = gate();
      checkGate = paused.opened;
      verifies = 0;
      const racing = verifier.verify('race-check', 'pw-race-check', HOME);
      while (verifies === 0) await new Promise((resolve) => setImmediate(resolve));
      await store.basicAuthCredentials.delete(credential.id);
      checkGate = null;
      paused.open();
      await racing;
      assert.deepEqual(await verifier.verify('race-check', 'pw-race-check', HOME), { ok: false, reason: 'unknown_username' });
    });
  });

  describe('limits guessing', () => {
    it('refuses a locked pair before any lookup or argon2id check, even with the right password', async () => {
      const { verifier, failures, throttled } = build();
      await person('ivan', 'ivan-password');
      for (let i = 0; i < 5; i += 1) assert.equal((await verifier.verify('ivan', `guess-${i}`, HOME)).ok, false);
      verifies = 0;
      const before = lookups;
      const refused = await verifier.verify('ivan', 'ivan-password', HOME);
      assert.deepEqual(refused, { ok: false, reason: 'too_many_attempts', scope: 'pair', retryAfterSeconds: 1 });
      assert.equal(verifies, 0);
      assert.equal(lookups, before);
      assert.equal(failures.length, 5);
      assert.deepEqual(throttled, ['pair']);
      assert.equal((await verifier.verify('ivan', 'ivan-password', '198.51.100.7')).ok, true, 'the right password from another address works');
    });

    it('counts repeated wrong passwords answered from memory as failures too', async () => {
      const { verifier } = build();
      for (let i = 0; i < 5; i += 1) await verifier.verify('carol', 'same-wrong', HOME);
      assert.equal((await verifier.verify('carol', 's3cret: with colon', HOME)).ok, false);
    });

    it('lets no more than pair_max_failures concurrent guesses reach argon2id', async () => {
      const { verifier } = build();
      verifies = 0;
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => verifier.verify('carol', `burst-${i}`, HOME)));
      assert.equal(verifies, 5);
      assert.equal(results.filter((r) => !r.ok && r.reason === 'too_many_attempts').length, 15);
    });

    it('locks an address spraying usernames, whatever the next username', async () => {
      const { verifier } = build({ address_max_failures: 6 });
      for (let i = 0; i < 6; i += 1) await verifier.verify(`sprayed-${i}`, 'Winter2026!', '203.0.113.50');
      const refused = await verifier.verify('carol', 's3cret: with colon', '203.0.113.50');
      assert.equal(!refused.ok && refused.reason === 'too_many_attempts' && refused.scope, 'address');
      assert.equal((await verifier.verify('carol', 's3cret: with colon', HOME)).ok, true);
    });
  });
});
