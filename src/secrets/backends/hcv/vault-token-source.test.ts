import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../../observability/logger.js';
import { VaultBackendError } from '../../vault-backend.js';
import { startVaultFake, type VaultFake } from '../../../../test/fakes/vault-kv2.js';
import type { LoginTokenSettings } from '../../../../test/fakes/vault-tokens.js';
import { createVaultHttp } from './vault-http.js';
import { createLogin } from './vault-login.js';
import { loginTokenSource, staticTokenSource, type TokenSource } from './vault-token-source.js';
import { approleConfig } from './testing/approle-config.js';

const ROLE_ID = 'role-id-token-source';
const SECRET_ID = 'secret-id-token-source-5c2e';

interface Setup {
  readonly fake: VaultFake;
  readonly source: TokenSource;
  readonly logs: string[];
  readonly logins: () => number;
  readonly renewals: () => readonly string[];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A fake with AppRole tokens living as `settings` says, and a token source logging in to it. */
async function setup(settings: LoginTokenSettings): Promise<Setup> {
  const fake = await startVaultFake({ approle: { roleId: ROLE_ID, secretId: SECRET_ID, ...settings } });
  const http = createVaultHttp({ base: fake.url, timeout: 2000 });
  const config = approleConfig(ROLE_ID, SECRET_ID);
  const logs: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logs.push(line) } });
  const source = loginTokenSource({ login: createLogin(config, http)!, http, logger, timeout: 2000, authMethod: 'approle' });
  cleanups.push(async () => {
    source.close();
    await http.close();
    await fake.close();
  });
  return {
    fake,
    source,
    logs,
    logins: () => fake.requests.filter((r) => r.path === '/v1/auth/approle/login').length,
    renewals: () => fake.requests.filter((r) => r.path === '/v1/auth/token/renew-self').map((r) => r.headers['x-vault-token'] as string),
  };
}

const signal = () => AbortSignal.timeout(5000);

describe('login token source', () => {
  it('logs in once for 20 concurrent first reads, and keeps using that token', async () => {
    const s = await setup({ ttl: 600 });
    s.fake.setLatency(100);
    const tokens = await Promise.all(Array.from({ length: 20 }, () => s.source.token(signal())));
    s.fake.setLatency(0);
    assert.equal(new Set(tokens).size, 1);
    assert.equal(tokens[0], s.fake.issuedTokens[0]);
    assert.equal(await s.source.token(signal()), tokens[0]);
    assert.equal(s.logins(), 1);
  });

  it('a reader whose signal aborts stops waiting at once; the others get the token of the same login', async () => {
    const s = await setup({ ttl: 600 });
    s.fake.hang(true);
    const patient = s.source.token(AbortSignal.timeout(5000));
    const started = Date.now();
    const err = await s.source.token(AbortSignal.timeout(150)).then(
      () => assert.fail('should have been cancelled'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof VaultBackendError && err.kind === 'unavailable', String(err));
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
    s.fake.hang(false);
    assert.equal(await patient, s.fake.issuedTokens[0]);
    assert.equal(s.logins(), 1);
  });

  it('renews a renewable token at 2/3 of its lease and goes on using it past its first lease', async () => {
    const s = await setup({ ttl: 2 });
    const token = await s.source.token(signal());
    await sleep(1000);
    assert.deepEqual(s.renewals(), [], 'not before 2/3 of the lease');
    await sleep(1100);
    assert.deepEqual(s.renewals(), [token]);
    assert.equal(await s.source.token(signal()), token, 'the first lease (2 s) has passed; the renewed one has not');
    assert.equal(s.logins(), 1);
    assert.ok(s.logs.some((l) => l.includes('renewed the Vault token')));
  });

  it('uses a non-renewable token until shortly before its lease ends, then logs in again', async () => {
    const s = await setup({ ttl: 1, renewable: false });
    const first = await s.source.token(signal());
    await sleep(950);
    const second = await s.source.token(signal());
    assert.notEqual(second, first);
    assert.equal(s.logins(), 2);
    assert.deepEqual(s.renewals(), []);
  });

  it('a renewal Vault refuses drops the token, so the next read logs in; the warning names no token', async () => {
    const s = await setup({ ttl: 2 });
    const first = await s.source.token(signal());
    s.fake.revokeToken(first);
    await sleep(1800);
    assert.deepEqual(s.renewals(), [first]);
    const second = await s.source.token(signal());
    assert.notEqual(second, first);
    assert.equal(s.logins(), 2);
    const warning = s.logs.find((l) => l.includes('could not renew the Vault token'));
    assert.ok(warning, s.logs.join('\n'));
    for (const line of s.logs) for (const secret of [first, second, ROLE_ID, SECRET_ID]) assert.ok(!line.includes(secret), line);
  });

  it('drops only the token refused: 20 concurrent refusals of one token make one login; a stale refusal keeps the new token', async () => {
    const s = await setup({ ttl: 600 });
    const first = await s.source.token(signal());
    const again = await Promise.all(
      Array.from({ length: 20 }, async () => {
        assert.equal(s.source.refused(first), true);
        return s.source.token(signal());
      }),
    );
    assert.equal(new Set(again).size, 1);
    assert.notEqual(again[0], first);
    assert.equal(s.logins(), 2);
    s.source.refused(first);
    assert.equal(await s.source.token(signal()), again[0]);
    assert.equal(s.logins(), 2);
  });

  it('close() stops renewal and refuses to log in again', async () => {
    const s = await setup({ ttl: 1 });
    await s.source.token(signal());
    s.source.close();
    await sleep(900);
    assert.deepEqual(s.renewals(), []);
    await assert.rejects(s.source.token(signal()), (e: unknown) => e instanceof VaultBackendError && e.kind === 'unavailable' && /closed/.test(e.message));
    assert.equal(s.logins(), 1);
  });
});

describe('static token source', () => {
  it('gives the configured token and never asks for a new login', async () => {
    const source = staticTokenSource('hvs.configured');
    assert.equal(await source.token(signal()), 'hvs.configured');
    assert.equal(source.refused('hvs.configured'), false);
  });

  it('without a token, reads are unauthorized', async () => {
    for (const token of [undefined, '']) {
      await assert.rejects(staticTokenSource(token).token(signal()), (e: unknown) => e instanceof VaultBackendError && e.kind === 'unauthorized');
    }
  });
});
