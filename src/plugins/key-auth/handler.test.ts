import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import Value from 'typebox/value';
import type { RequestContext } from '../plugin.js';
import type { ApiKeyVerifier } from '../../apikeys/verifier/api-key-verifier.js';
import type { VerifyResult, VerifyScope } from '../../apikeys/verifier/verify-result.js';
import { keyAuthPlugin } from './handler.js';
import { KeyAuthConfigSchema, type KeyAuthConfig } from './schema.js';
import { BufferedBody } from '../../proxy/body-fields.js';

const alice = { id: '00000000-0000-4000-8000-000000000001', username: 'alice', custom_id: null };
const anon = { id: '00000000-0000-4000-8000-000000000002', username: 'anonymous', custom_id: null };
const logger = pino({ level: 'silent' });

/** A verifier that knows one key; records what it was asked. */
function fakeVerifier(valid: string) {
  const asked: { key: string; scope: VerifyScope }[] = [];
  const answer = (key: string): VerifyResult =>
    key === valid
      ? { status: 'valid', key: { keyId: 'abcdef0123456789', consumerId: alice.id, expiresAt: null, stored: true, issuer: 'portcullis', serviceId: null } }
      : { status: 'not_found' };
  const cached = new Set<string>();
  const verifier = {
    cache: undefined as never,
    slowHash: { active: 0, queued: 0 },
    async verify(key: string, scope: VerifyScope): Promise<VerifyResult> {
      asked.push({ key, scope });
      cached.add(key);
      return answer(key);
    },
    verifyCached: (key: string) => (cached.has(key) ? answer(key) : null),
  } satisfies ApiKeyVerifier;
  return { verifier, asked };
}

function context(headers: Record<string, string | string[]>, query = '', body: RequestContext['body'] = null): RequestContext {
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
    body,
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
    const offCtx = context({}, 'apikey=the-valid-key-0123456789');
    assert.equal((await off.plugin.access!(offCtx)).kind, 'reject');
    assert.equal(offCtx.query, '', 'removed even where the plugin does not read it');
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

  describe('hide_credentials removes every key name from every place, read there or not', () => {
    const key = 'the-valid-key-0123456789';
    const form = (text: string) => BufferedBody.parse('form', Buffer.from(text))!;
    const json = (text: string) => BufferedBody.parse('json', Buffer.from(text))!;
    const cases: { label: string; config: Partial<KeyAuthConfig>; ctx: () => RequestContext; query?: string; body?: string }[] = [
      {
        label: 'header, key_in_header off',
        config: { key_in_header: false, key_in_query: true },
        ctx: () => context({ 'x-api-key': 'other' }, `apikey=${key}`),
        query: '',
      },
      { label: 'underscore header spelling', config: {}, ctx: () => context({ 'x-api-key': key, x_api_key: 'other', 'x-api_key': 'o' }) },
      { label: 'query, key_in_query off', config: {}, ctx: () => context({ 'x-api-key': key }, 'a=1&apikey=x&b=2'), query: 'a=1&b=2' },
      { label: 'query spellings', config: {}, ctx: () => context({ 'x-api-key': key }, 'api%6bey=x&APIKEY=y;apikey[]=z&a=1&X-Api-Key=w'), query: 'a=1' },
      { label: 'form body, key_in_body off', config: {}, ctx: () => context({ 'x-api-key': key }, '', form('apikey=x&a=1')), body: 'a=1' },
      { label: 'JSON body, key_in_body off', config: {}, ctx: () => context({ 'x-api-key': key }, '', json('{"a":1,"api\\u006bey":"x"}')), body: '{"a":1}' },
    ];
    for (const { label, config, ctx: make, query, body } of cases) {
      it(label, async () => {
        const { plugin } = instance(config);
        const ctx = make();
        assert.equal((await plugin.access!(ctx)).kind, 'authenticated', label);
        for (const name of ['x-api-key', 'x_api_key', 'x-api_key', 'apikey']) assert.equal(ctx.upstreamHeaders[name], undefined, name);
        if (query !== undefined) assert.equal(ctx.query, query);
        if (body !== undefined) assert.equal((ctx.body as BufferedBody).content.toString(), body);
      });
    }

    it('still removes them when another plugin already authenticated the request (anonymous)', async () => {
      const { plugin, asked } = instance({ anonymous: 'anonymous' });
      const ctx = context({ 'x-api-key': 'key-for-the-upstream' }, 'apikey=x&a=1', form('apikey=y&b=2'));
      ctx.authenticated = { consumer: alice, credentialId: 'basic-cred' };
      assert.equal((await plugin.access!(ctx)).kind, 'continue');
      assert.equal(asked.length, 0);
      assert.equal(ctx.upstreamHeaders['x-api-key'], undefined);
      assert.equal(ctx.query, 'a=1');
      assert.equal((ctx.body as BufferedBody).content.toString(), 'b=2');
    });

    it('keeps everything with hide_credentials off', async () => {
      const { plugin } = instance({ hide_credentials: false, key_in_body: true });
      const ctx = context({ 'x-api-key': key }, 'apikey=x', form(`apikey=${key}`));
      assert.equal((await plugin.access!(ctx)).kind, 'authenticated');
      assert.equal(ctx.upstreamHeaders['x-api-key'], key);
      assert.equal(ctx.query, 'apikey=x');
      assert.equal((ctx.body as BufferedBody).content.toString(), `apikey=${key}`);
    });
  });

  describe('key_in_body: one key per body', () => {
    const key = 'the-valid-key-0123456789';
    const form = (text: string) => BufferedBody.parse('form', Buffer.from(text))!;
    const json = (text: string) => BufferedBody.parse('json', Buffer.from(text))!;
    const cases: [string, () => RequestContext, string][] = [
      ['form field twice, different values', () => context({}, '', form(`apikey=${key}&apikey=other`)), 'reject'],
      ['form field twice, encoded name', () => context({}, '', form(`apikey=${key}&api%6bey=other`)), 'reject'],
      ['form field and header', () => context({ 'x-api-key': 'other' }, '', form(`apikey=${key}`)), 'reject'],
      ['JSON member twice', () => context({}, '', json(`{"apikey":"${key}","apikey":"other"}`)), 'reject'],
      ['JSON escaped duplicate', () => context({}, '', json(`{"apikey":"${key}","api\\u006bey":"other"}`)), 'reject'],
      ['JSON number', () => context({}, '', json('{"apikey":12345}')), 'reject'],
      ['JSON array', () => context({}, '', json(`{"apikey":["${key}"]}`)), 'reject'],
      ['JSON string and object', () => context({}, '', json(`{"apikey":"${key}","apikey":{"k":1}}`)), 'reject'],
      ['JSON nested key not counted', () => context({}, '', json(`{"apikey":"${key}","o":{"apikey":"other"}}`)), 'authenticated'],
      ['form same value twice', () => context({}, '', form(`apikey=${key}&apikey=${key}`)), 'authenticated'],
      ['JSON same value twice', () => context({}, '', json(`{"apikey":"${key}","api\\u006bey":"${key}"}`)), 'authenticated'],
      ['form value and same header', () => context({ 'x-api-key': key }, '', form(`apikey=${key}`)), 'authenticated'],
    ];
    for (const [label, make, expected] of cases) {
      it(`${expected === 'reject' ? 'refuses' : 'accepts'}: ${label}`, async () => {
        const { plugin, asked } = instance({ key_in_body: true });
        const outcome = await plugin.access!(make());
        assert.equal(outcome.kind, expected);
        if (expected === 'reject') assert.equal(asked.length, 0, 'refused before any lookup');
      });
    }
  });
});
