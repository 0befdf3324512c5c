import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSecretResolver, type SecretResolver } from './secret-resolver.js';
import { envBackend } from './backends/env/env-backend.js';
import type { VaultBackendFactory } from './vault-backend.js';
import { createLogger } from '../observability/logger.js';
import { createMemoryVault, type MemoryVault } from '../../test/support/memory-vault-backend.js';
import { rejectsWith } from '../../test/support/assertions.js';

interface Setup {
  resolver: SecretResolver;
  vault: MemoryVault;
  now: { ms: number };
  changes: Set<string>[];
  outcomes: string[];
}

function setup(config: Record<string, unknown> = {}, env: Record<string, string> = {}, maxValueSize = 1024): Setup {
  const vault = createMemoryVault();
  const now = { ms: 1_800_000_000_000 };
  const outcomes: string[] = [];
  const resolver = createSecretResolver({
    logger: createLogger({ level: 'silent' }),
    env,
    backends: [envBackend as VaultBackendFactory, vault.factory],
    maxValueSize,
    clock: () => now.ms,
    onResolution: (v, outcome) => outcomes.push(`${v}:${outcome}`),
  });
  resolver.setVaults([{ prefix: 'mem', name: 'memory', config: { ttl: 60, neg_ttl: 10, resurrect_ttl: 120, timeout: 200, ...config }, origin: 'database' }]);
  const changes: Set<string>[] = [];
  resolver.onChange((refs) => changes.push(new Set(refs)));
  return { resolver, vault, now, changes, outcomes };
}

const REF = '{vault://mem/db}';

describe('secret resolver: caching', () => {
  it('serves a value from its cache within ttl, then fetches it again', async () => {
    const { resolver, vault, now } = setup();
    vault.set('db', 'one');
    for (let i = 0; i < 5; i++) assert.equal(await resolver.resolve(REF), 'one');
    assert.equal(vault.totalCalls(), 1);
    vault.set('db', 'two');
    now.ms += 59_000;
    assert.equal(await resolver.resolve(REF), 'one');
    now.ms += 1_000;
    assert.equal(await resolver.resolve(REF), 'two');
    assert.equal(vault.totalCalls(), 2);
  });

  it('concurrent resolutions of one reference share one backend call', async () => {
    const { resolver, vault } = setup();
    vault.set('db', 'shared');
    const values = await Promise.all(Array.from({ length: 25 }, () => resolver.resolve(REF)));
    assert.deepEqual(new Set(values), new Set(['shared']));
    assert.equal(vault.totalCalls(), 1);
    const fresh = await Promise.all(Array.from({ length: 10 }, () => resolver.resolve(REF, { fresh: true })));
    assert.deepEqual(new Set(fresh), new Set(['shared']));
    assert.equal(vault.totalCalls(), 2, 'fresh resolutions in flight together share one call too');
  });

  it('a hanging backend fails with PC_VAULT_UNAVAILABLE after the vault timeout, and shares the wait', async () => {
    const { resolver, vault } = setup({ timeout: 150 });
    vault.set('db', 'x');
    vault.hang(true);
    const started = Date.now();
    const results = await Promise.allSettled([resolver.resolve(REF), resolver.resolve(REF)]);
    const elapsed = Date.now() - started;
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      assert.equal((r as PromiseRejectedResult).reason.code, 'PC_VAULT_UNAVAILABLE');
    }
    assert.ok(elapsed >= 140 && elapsed < 2000, `took ${elapsed} ms`);
    assert.equal(vault.totalCalls(), 1);
  });

  it('remembers a missing secret for neg_ttl', async () => {
    const { resolver, vault, now } = setup();
    await rejectsWith(resolver.resolve(REF), 'PC_VAULT_NOT_FOUND');
    vault.set('db', 'later');
    await rejectsWith(resolver.resolve(REF), 'PC_VAULT_NOT_FOUND');
    assert.equal(vault.totalCalls(), 1);
    now.ms += 10_000;
    assert.equal(await resolver.resolve(REF), 'later');
  });

  it('a fresh resolution bypasses both caches (rotation on failure)', async () => {
    const { resolver, vault } = setup();
    vault.set('db', 'old');
    assert.equal(await resolver.resolve(REF), 'old');
    vault.set('db', 'new');
    assert.equal(await resolver.resolve(REF, { fresh: true }), 'new');
    assert.equal(await resolver.resolve(REF), 'new');
  });
});

describe('secret resolver: failures and resurrection', () => {
  it('serves the last good value for resurrect_ttl (stale), then fails (failing) and tells its users', async () => {
    const { resolver, vault, now, changes } = setup();
    resolver.setUses('test', new Map([[REF, ['plugins/p1:config.password']]]));
    vault.set('db', 'good');
    assert.equal(await resolver.resolve(REF), 'good');
    assert.equal(resolver.health()[0]!.status, 'resolved');
    vault.fail('unavailable');
    now.ms += 60_000;
    await resolver.refreshDue();
    assert.equal(await resolver.resolve(REF), 'good');
    const stale = resolver.health()[0]!;
    assert.equal(stale.status, 'stale');
    assert.equal(stale.last_error?.code, 'PC_VAULT_UNAVAILABLE');
    assert.equal(changes.length, 0, 'a stale value is not a change');
    now.ms += 121_000;
    await resolver.refreshDue();
    assert.equal(resolver.health()[0]!.status, 'failing');
    assert.deepEqual(changes, [new Set([REF])]);
    await rejectsWith(resolver.resolve(REF), 'PC_VAULT_UNAVAILABLE');
    vault.fail(null);
    now.ms += 10_000;
    await resolver.refreshDue();
    assert.equal(resolver.health()[0]!.status, 'resolved');
    assert.equal(changes.length, 2, 'a value back after a failure is a change');
  });

  it('a secret deleted at the backend keeps serving for resurrect_ttl, then is dropped', async () => {
    const { resolver, vault, now } = setup({ resurrect_ttl: 30 });
    resolver.setUses('test', new Map([[REF, ['x']]]));
    vault.set('db', 'v');
    await resolver.resolve(REF);
    vault.delete('db');
    now.ms += 60_000;
    await resolver.refreshDue();
    assert.equal(resolver.health()[0]!.status, 'stale');
    now.ms += 31_000;
    await resolver.refreshDue();
    assert.equal(resolver.health()[0]!.status, 'failing');
    await rejectsWith(resolver.resolve(REF), 'PC_VAULT_NOT_FOUND');
  });

  const KINDS = [
    ['not_found', 'PC_VAULT_NOT_FOUND'],
    ['unauthorized', 'PC_VAULT_UNAUTHORIZED'],
    ['unavailable', 'PC_VAULT_UNAVAILABLE'],
  ] as const;
  for (const [kind, code] of KINDS) {
    it(`a backend failure of kind ${kind} is ${code}, naming the reference`, async () => {
      const { resolver, vault, outcomes } = setup();
      vault.fail(kind);
      const err = await rejectsWith(resolver.resolve(REF), code);
      assert.match(err.message, /\{vault:\/\/mem\/db\}/);
      assert.deepEqual(outcomes, [`mem:${code}`]);
    });
  }

  it('refuses a value over the size cap', async () => {
    const { resolver, vault } = setup({}, {}, 16);
    vault.set('db', 'x'.repeat(17));
    await rejectsWith(resolver.resolve(REF), 'PC_VAULT_VALUE_TOO_LARGE');
  });
});

describe('secret resolver: values', () => {
  it('picks a JSON key, turning numbers and booleans into text', async () => {
    const { resolver, vault } = setup();
    vault.set('db', JSON.stringify({ user: 'app', port: 5432, tls: true, nested: { a: 1 }, nothing: null }));
    assert.equal(await resolver.resolve('{vault://mem/db/user}'), 'app');
    assert.equal(await resolver.resolve('{vault://mem/db/port}'), '5432');
    assert.equal(await resolver.resolve('{vault://mem/db/tls}'), 'true');
    for (const key of ['nested', 'nothing', 'missing', '__proto__', 'constructor']) {
      await rejectsWith(resolver.resolve(`{vault://mem/db/${key}}`), 'PC_VAULT_NOT_FOUND');
    }
  });

  it('a key of a secret that is not JSON is PC_VAULT_NOT_FOUND, and the message shows no value', async () => {
    const { resolver, vault } = setup();
    vault.set('db', 'plain-secret-text');
    const err = await rejectsWith(resolver.resolve('{vault://mem/db/user}'), 'PC_VAULT_NOT_FOUND');
    assert.doesNotMatch(err.message, /plain-secret-text/);
  });

  it('a resolved value that looks like a reference is literal, never resolved again', async () => {
    const { resolver, vault } = setup({}, { OTHER: 'must-not-appear' });
    vault.set('db', '{vault://env/other}');
    assert.equal(await resolver.resolve(REF), '{vault://env/other}');
    assert.equal(await resolver.resolveField(`Bearer ${REF}`), 'Bearer {vault://env/other}');
  });

  it('reads versions with #version', async () => {
    const { resolver, vault } = setup();
    vault.set('db', 'v1');
    vault.set('db', 'v2');
    assert.equal(await resolver.resolve('{vault://mem/db#1}'), 'v1');
    assert.equal(await resolver.resolve('{vault://mem/db}'), 'v2');
    await rejectsWith(resolver.resolve('{vault://mem/db#7}'), 'PC_VAULT_NOT_FOUND');
  });

  it('resolves a field embedding one reference and leaves a literal alone', async () => {
    const { resolver, vault } = setup({}, { API_TOKEN: 'tok' });
    vault.set('db', 'pw');
    assert.equal(await resolver.resolveField('Bearer {vault://env/api-token}'), 'Bearer tok');
    assert.equal(await resolver.resolveField('{vault://mem/db}'), 'pw');
    assert.equal(await resolver.resolveField('no reference here'), 'no reference here');
    await rejectsWith(resolver.resolveField('{vault://env/a} {vault://env/b}'), 'PC_VAULT_UNRESOLVED');
  });
});

describe('secret resolver: checks', () => {
  const PROBLEMS: [string, RegExp][] = [
    ['{vault://nope/x}', /no vault has the prefix "nope"/],
    ['{vault://env/x#2}', /env backend has no versions/],
    ['{vault://env/x?endpoint=http://evil}', /option "endpoint" is not accepted by the env backend/],
    ['{vault://mem/x?token=abc}', /option "token" is not accepted/],
    ['{vault://mem/x?ttl=0}', /ttl must be whole seconds/],
    ['{vault://mem/x?ttl=1e3}', /ttl must be whole seconds/],
    ['{vault://mem/x?resurrect_ttl=-1}', /resurrect_ttl must be whole seconds/],
    ['{vault://mem/}', /not a valid vault reference/],
  ];
  for (const [reference, problem] of PROBLEMS) {
    it(`refuses ${reference}`, async () => {
      const { resolver, vault } = setup();
      assert.match(resolver.check(reference) ?? '', problem);
      await assert.rejects(resolver.resolve(reference), (err: { code: string }) => err.code.startsWith('PC_VAULT_'));
      assert.equal(vault.totalCalls(), 0, 'a reference refused by its shape never reaches a backend');
    });
  }

  it('accepts the options a backend declares and the cache settings', () => {
    const { resolver } = setup();
    assert.equal(resolver.check('{vault://env/x?prefix=app_}'), null);
    assert.equal(resolver.check('{vault://mem/x?flavour=a&ttl=30&neg_ttl=5&resurrect_ttl=0}'), null);
  });

  it('a reference option overrides the vault ttl', async () => {
    const { resolver, vault, now } = setup();
    vault.set('db', 'a');
    await resolver.resolve('{vault://mem/db?ttl=5}');
    vault.set('db', 'b');
    now.ms += 5_000;
    assert.equal(await resolver.resolve('{vault://mem/db?ttl=5}'), 'b');
  });
});

describe('secret resolver: rotation and vault changes', () => {
  it('refreshes references in use when their ttl passes and tells listeners which changed', async () => {
    const { resolver, vault, now, changes } = setup();
    vault.set('db', 'a');
    vault.set('other', 'same');
    resolver.setUses(
      'proxy',
      new Map([
        [REF, ['plugins/1:config.password']],
        ['{vault://mem/other}', ['plugins/2:config.token']],
      ]),
    );
    await resolver.resolve(REF);
    await resolver.resolve('{vault://mem/other}');
    vault.set('db', 'b');
    now.ms += 60_000;
    await resolver.refreshDue();
    assert.deepEqual(changes, [new Set([REF])]);
    assert.equal(await resolver.resolve(REF), 'b');
  });

  it('forgets references no longer in use once they are due', async () => {
    const { resolver, vault, now } = setup();
    vault.set('db', 'a');
    await resolver.resolve(REF);
    now.ms += 60_000;
    await resolver.refreshDue();
    assert.equal(vault.totalCalls(), 1, 'no background fetch for a reference nobody uses');
  });

  it('a changed vault definition refetches its references; a removed vault drops them', async () => {
    const { resolver, vault, changes } = setup();
    vault.set('db', 'a');
    await resolver.resolve(REF);
    resolver.setVaults([{ prefix: 'mem', name: 'memory', config: { ttl: 99, label: 'changed' }, origin: 'database' }]);
    assert.deepEqual(changes.at(-1), new Set([REF]));
    await resolver.resolve(REF);
    assert.equal(vault.totalCalls(), 2);
    resolver.setVaults([]);
    await rejectsWith(resolver.resolve(REF), 'PC_VAULT_UNKNOWN');
    assert.equal(changes.length, 2);
  });

  it('the health listing shows where each reference is used and never a value', async () => {
    const { resolver, vault } = setup();
    vault.set('db', 'the-secret-value');
    resolver.setUses('proxy', new Map([[REF, ['plugins/1:config.password']]]));
    resolver.setUses(
      'config',
      new Map([
        [REF, ['config:pg_password']],
        ['{vault://mem/missing}', ['config:admin_token']],
      ]),
    );
    await resolver.resolve(REF);
    await rejectsWith(resolver.resolve('{vault://mem/missing}'), 'PC_VAULT_NOT_FOUND');
    const health = resolver.health();
    assert.deepEqual(
      health.map((h) => [h.reference, h.status, h.used_by]),
      [
        [REF, 'resolved', ['config:pg_password', 'plugins/1:config.password']],
        ['{vault://mem/missing}', 'unresolvable', ['config:admin_token']],
      ],
    );
    assert.equal(health[0]!.version, '1');
    assert.doesNotMatch(JSON.stringify(health), /the-secret-value/);
  });
});
