import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import Value from 'typebox/value';
import type { RequestContext } from '../plugin.js';
import type { ApiKeyVerifier } from '../../apikeys/verifier/api-key-verifier.js';
import type { VerifyResult, VerifyScope } from '../../apikeys/verifier/verify-result.js';
import { keyAuthPlugin } from './handler.js';
import { KeyAuthConfigSchema, type KeyAuthConfig } from './schema.js';

const alice = { id: '00000000-0000-4000-8000-000000000001', username: 'alice', custom_id: null };
const anon = { id: '00000000-0000-4000-8000-000000000002', username: 'anonymous', custom_id: null };
const logger = pino({ level: 'silent' });

/** A verifier that knows one key; records what it was asked. */
function fakeVerifier(valid: string) {
  const asked: { key: string; scope: VerifyScope }[] = [];
  const answer = (key: string): VerifyResult =>
    key === valid
      ? { status: 'valid', key: { keyId: 'abcdef0123456789', consumerId: alice.id, expiresAt: null, rowId: 'r', issuer: 'portcullis', serviceId: null } }
      : { status: 'not_found' };
  const cached = new Set<string>();
  const verifier = {
    cache: undefined as never,
    async verify(key: string, scope: VerifyScope): Promise<VerifyResult> {
      asked.push({ key, scope });
      cached.add(key);
      return answer(key);
    },
    verifyCached: (key: string) => (cached.has(key) ? answer(key) : null),
  } satisfies ApiKeyVerifier;
  return { verifier, asked };
}

function context(headers: Record<string, string | string[]>, query = ''): RequestContext {
  return {
    req: { method: 'GET', headers } as never,
    method: 'GET',
    path: '/x',
    query,
    requestId: 'req-1',
    clientIp: '127.0.0.1',
    route: {} as never,
    service: { id: 'svc' } as never,
    upstreamHeaders: { ...headers },
    responseHeaders: {},
    authenticated: null,
    shared: new Map(),
    body: null,
  };
}

function instance(config: Partial<KeyAuthConfig>, valid = 'the-valid-key-0123456789') {
  const full = Value.Default(KeyAuthConfigSchema, structuredClone(config)) as KeyAuthConfig;
  const { verifier, asked } = fakeVerifier(valid);
  const consumers = {
    byId: (id: string) => [alice, anon].find((c) => c.id === id),
    find: (ref: string) => [alice, anon].find((c) => c.id === ref || c.username === ref),
  };
  return { plugin: keyAuthPlugin.create(full, { logger, apiKeys: verifier, consumers }), asked };
}

describe('key-auth', () => {
  it('authenticates a valid key from a default header, sets consumer headers and hides the key', async () => {
    const { plugin, asked } = instance({});
    const ctx = context({ 'x-api-key': 'the-valid-key-0123456789', 'x-consumer-id': 'spoofed' });
    const outcome = await plugin.access!(ctx);
    assert.equal(outcome.kind, 'authenticated');
    assert.equal(ctx.upstreamHeaders['x-consumer-id'], alice.id);
    assert.equal(ctx.upstreamHeaders['x-consumer-username'], 'alice');
    assert.equal(ctx.upstreamHeaders['x-credential-identifier'], 'abcdef0123456789');
    assert.equal(ctx.upstreamHeaders['x-api-key'], undefined);
    assert.deepEqual(asked[0]!.scope, { serviceId: 'svc', issuers: undefined });
  });

  it('refuses a missing key with 401 and WWW-Authenticate, without asking the verifier', async () => {
    const { plugin, asked } = instance({ realm: 'my "api"' });
    const outcome = await plugin.access!(context({}));
    assert.deepEqual(outcome, { kind: 'reject', status: 401, code: 'PC_AUTH_KEY_INVALID', headers: { 'www-authenticate': 'Key realm="my \\"api\\""' } });
    assert.equal(asked.length, 0);
  });

  it('refuses two different keys in one request', async () => {
    const { plugin, asked } = instance({});
    const outcome = await plugin.access!(context({ apikey: 'the-valid-key-0123456789', 'x-api-key': 'another-key-0123456789' }));
    assert.equal(outcome.kind, 'reject');
    assert.equal(asked.length, 0);
    const dup = await plugin.access!(context({ apikey: 'the-valid-key-0123456789', 'x-api-key': 'the-valid-key-0123456789' }));
    assert.equal(dup.kind, 'authenticated', 'the same key twice is one key');
  });

  it('reads the query string only when key_in_query is on, and removes the key from it', async () => {
    const off = instance({});
    assert.equal((await off.plugin.access!(context({}, 'apikey=the-valid-key-0123456789'))).kind, 'reject');
    const on = instance({ key_in_query: true });
    const ctx = context({}, 'a=1&apikey=the-valid-key-0123456789&b=2');
    assert.equal((await on.plugin.access!(ctx)).kind, 'authenticated');
    assert.equal(ctx.query, 'a=1&b=2');
  });

  it('requires and strips value_prefix (case-insensitive)', async () => {
    const { plugin } = instance({ key_names: ['authorization'], value_prefix: 'Bearer ' });
    assert.equal((await plugin.access!(context({ authorization: 'bearer the-valid-key-0123456789' }))).kind, 'authenticated');
    assert.equal((await plugin.access!(context({ authorization: 'the-valid-key-0123456789' }))).kind, 'reject');
  });

  it('keeps the key for the upstream when hide_credentials is off', async () => {
    const { plugin } = instance({ hide_credentials: false });
    const ctx = context({ 'x-api-key': 'the-valid-key-0123456789' });
    await plugin.access!(ctx);
    assert.equal(ctx.upstreamHeaders['x-api-key'], 'the-valid-key-0123456789');
  });

  it('falls back to the anonymous consumer instead of refusing', async () => {
    const { plugin } = instance({ anonymous: 'anonymous' });
    const ctx = context({ 'x-api-key': 'wrong-key-0123456789abc' });
    const outcome = await plugin.access!(ctx);
    assert.equal(outcome.kind, 'authenticated');
    assert.equal(ctx.upstreamHeaders['x-consumer-username'], 'anonymous');
    assert.equal(ctx.upstreamHeaders['x-anonymous-consumer'], 'true');
  });

  it('answers a cached key without waiting (no promise on the hot path)', async () => {
    const { plugin } = instance({});
    const first = plugin.access!(context({ 'x-api-key': 'the-valid-key-0123456789' }));
    assert.ok(first instanceof Promise, 'the first sight of a key is looked up');
    await first;
    const second = plugin.access!(context({ 'x-api-key': 'the-valid-key-0123456789' }));
    assert.ok(!(second instanceof Promise));
    assert.equal((second as { kind: string }).kind, 'authenticated');
  });

  it('passes the accepted issuers to the verifier', async () => {
    const { plugin, asked } = instance({ issuers: ['devportal'] });
    await plugin.access!(context({ 'x-api-key': 'the-valid-key-0123456789' }));
    assert.deepEqual(asked[0]!.scope.issuers, ['devportal']);
  });
});
