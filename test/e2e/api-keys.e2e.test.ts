/**
 * API keys end to end through the real CLI: the key lifecycle over the Admin API and with
 * `portcullis apikeys`, checked by requests through the proxy with the key-auth plugin.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { admin, runCli, startCliNode, writeConfig, type CliNode } from './support/cli.js';
import { startEchoUpstream, type Echo, type EchoUpstream } from './support/upstream.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function call(node: CliNode, key?: string, path = '/orders'): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${node.proxyUrl}${path}`, { headers: key ? { 'x-api-key': key } : {} });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

/** Polls until `check` holds or `ms` pass; returns the time it took. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if (await check()) return Date.now() - start;
    await sleep(10);
  }
  assert.fail(`not true within ${ms} ms`);
}

describe('API keys through the real CLI', () => {
  let node: CliNode;
  let upstream: EchoUpstream;

  before(async () => {
    upstream = await startEchoUpstream();
    node = await startCliNode(writeConfig());
    await admin(node, 'POST', '/services', { name: 'orders', url: upstream.url });
    await admin(node, 'POST', '/services/orders/routes', { name: 'orders', paths: ['/orders'] });
    await admin(node, 'POST', '/consumers', { username: 'alice' });
    assert.equal((await admin(node, 'POST', '/services/orders/plugins', { name: 'key-auth' })).status, 201);
  });
  after(async () => {
    await node.stop();
    await upstream.close();
  });

  it('generate → call → regenerate with grace → both work → grace ends → old refused → revoke → refused', async () => {
    const generated = await admin(node, 'POST', '/services/orders/api-keys', { name: 'mobile', consumer: 'alice' });
    assert.equal(generated.status, 201);
    const key1: string = generated.body.api_key;
    assert.match(key1, /^pcg_[0-9a-f]{72}$/);

    const ok = await call(node, key1);
    assert.equal(ok.status, 200);
    const echo = ok.body as Echo;
    assert.equal(echo.headers['x-consumer-username'], 'alice');
    assert.equal(echo.headers['x-credential-identifier'], generated.body.key_id);
    assert.equal(echo.headers['x-api-key'], undefined, 'hide_credentials keeps the key from the upstream');

    const regenerated = await admin(node, 'POST', '/services/orders/api-keys/mobile/regenerate', { grace_period: 2 });
    assert.equal(regenerated.status, 200);
    const key2: string = regenerated.body.api_key;
    assert.notEqual(key2, key1);
    assert.equal((await call(node, key2)).status, 200, 'the new key works at once');
    assert.equal((await call(node, key1)).status, 200, 'the old key works during the grace period');

    await sleep(2100);
    const refused = await call(node, key1);
    assert.equal(refused.status, 401, 'the old key is refused once the grace period ends');
    assert.equal(refused.body.code, 'PC_AUTH_KEY_INVALID');
    assert.equal((await call(node, key2)).status, 200);

    assert.equal((await admin(node, 'DELETE', '/services/orders/api-keys/mobile')).status, 204);
    assert.equal((await call(node, key2)).status, 401, 'a revoked key is refused at once');
    assert.equal((await admin(node, 'DELETE', '/services/orders/api-keys/mobile')).status, 204, 'revoke is idempotent');
    assert.equal((await admin(node, 'DELETE', '/services/orders/api-keys/never-was')).status, 204, 'and leaks nothing about unknown keys');
  });

  it('answers every failure with the same 401 body and WWW-Authenticate', async () => {
    const { body } = await admin(node, 'POST', '/services/orders/api-keys', { name: 'uniform' });
    const good: string = body.api_key;
    const variants = [undefined, 'garbage', good.slice(0, -1) + (good.endsWith('a') ? 'b' : 'a'), good.toUpperCase(), `zzz${good.slice(3)}`];
    const answers = await Promise.all(variants.map((k) => call(node, k)));
    for (const a of answers) {
      assert.equal(a.status, 401);
      assert.deepEqual(a.body, { code: 'PC_AUTH_KEY_INVALID', message: 'Unauthorized' });
      assert.equal(a.headers.get('www-authenticate'), 'Key realm="portcullis"');
    }
    const other = (await admin(node, 'POST', '/services/orders/api-keys', { name: 'uniform-2' })).body.api_key as string;
    assert.equal((await call(node, other)).status, 200);
    const twoKeys = await fetch(`${node.proxyUrl}/orders`, { headers: { 'x-api-key': good, apikey: other } });
    assert.equal(twoKeys.status, 401, 'two different keys in one request are refused, even two valid ones');
  });

  it('refuses over-long keys with 401 and over-long headers with 431', async () => {
    const long = await call(node, `pcg_${'a'.repeat(600)}`);
    assert.equal(long.status, 401);
    const huge = await fetch(`${node.proxyUrl}/orders`, { headers: { 'x-api-key': 'a'.repeat(20_000) } });
    assert.equal(huge.status, 431);
    assert.equal(((await huge.json()) as { code: string }).code, 'PC_HEADERS_TOO_LARGE');
  });

  it('reads a key from a form or JSON body when key_in_body is on, and sends the rest of the body upstream', async () => {
    await admin(node, 'POST', '/services/orders/routes', { name: 'forms', paths: ['/forms'] });
    assert.equal((await admin(node, 'POST', '/routes/forms/plugins', { name: 'key-auth', config: { key_in_body: true } })).status, 201);
    const { body } = await admin(node, 'POST', '/services/orders/api-keys', { name: 'in-body', consumer: 'alice' });
    const form = await fetch(`${node.proxyUrl}/forms`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `apikey=${body.api_key}&x=1`,
    });
    assert.equal(form.status, 200);
    const echoed = (await form.json()) as Echo;
    assert.equal(echoed.headers['x-consumer-username'], 'alice');
    assert.equal(echoed.body, 'x=1', 'hide_credentials removes the key from the body; the rest arrives');
    assert.equal(echoed.headers['content-length'], '3');
    const json = await fetch(`${node.proxyUrl}/forms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apikey: body.api_key, order: 7 }),
    });
    assert.equal(json.status, 200);
    assert.equal(((await json.json()) as Echo).body, '{"order":7}');
    const wrong = await fetch(`${node.proxyUrl}/forms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apikey: 'nope-nope-nope-nope' }),
    });
    assert.equal(wrong.status, 401);
  });

  it('lists keys masked, never with a secret', async () => {
    const list = await admin(node, 'GET', '/services/orders/api-keys');
    assert.equal(list.status, 200);
    assert.ok(list.body.data.length >= 2);
    for (const k of list.body.data) {
      assert.match(k.masked_key, /^pcg_[0-9a-f]{16}…$/);
      assert.equal(k.api_key, undefined);
    }
    const all = await admin(node, 'GET', '/api-keys?status=revoked');
    assert.deepEqual(
      all.body.data.map((k: { name: string }) => k.name),
      ['mobile'],
    );
    assert.ok(!readFileSync(node.configFile, 'utf8').includes('pcg_'));
  });

  it('manages keys with `portcullis apikeys`, and the running node follows within a second', async () => {
    const generated = await runCli(['apikeys', 'generate', '--config', node.configFile, '--consumer', 'alice', '--name', 'cli-key', '--json']);
    assert.equal(generated.code, 0, generated.stderr);
    const key: string = JSON.parse(generated.stdout).api_key;
    const tookOk = await within(1000, async () => (await call(node, key)).status === 200);
    const listed = await runCli(['apikeys', 'list', '--config', node.configFile, '--consumer', 'alice']);
    assert.match(listed.stdout, /cli-key\tpcg_[0-9a-f]{16}…\tactive/);
    assert.ok(!listed.stdout.includes(key));

    const revoked = await runCli(['apikeys', 'revoke', '--config', node.configFile, '--consumer', 'alice', 'cli-key']);
    assert.equal(revoked.code, 0);
    const tookRevoke = await within(1000, async () => (await call(node, key)).status === 401);
    node.logs.push(`measured: key usable after ${tookOk} ms, revoke effective after ${tookRevoke} ms`);
    const bad = await runCli(['apikeys', 'revoke', '--config', node.configFile, 'x']);
    assert.equal(bad.code, 1, 'a usage error');
    assert.match(bad.stderr, /exactly one of --service or --consumer/);
    const unknownOwner = await runCli(['apikeys', 'revoke', '--config', node.configFile, '--consumer', 'nobody-here', 'x']);
    assert.equal(unknownOwner.code, 2, 'an owner that does not exist is an error, not a silent success');
    assert.match(unknownOwner.stderr, /PC_NOT_FOUND/);
  });

  it('lists every key (service-owned too) without an owner, and refuses an unknown --status', async () => {
    await admin(node, 'POST', '/services/orders/api-keys', { name: 'listed-service-key' });
    const all = await runCli(['apikeys', 'list', '--config', node.configFile, '--json']);
    assert.equal(all.code, 0, all.stderr);
    assert.ok((JSON.parse(all.stdout) as { name: string }[]).some((k) => k.name === 'listed-service-key'));
    for (const typo of ['actve', 'ACTIVE', 'revoke', '']) {
      const res = await runCli(['apikeys', 'list', '--config', node.configFile, '--status', typo]);
      assert.equal(res.code, 1, typo);
      assert.match(res.stderr, /Allowed choices are active, revoked, expired/, typo);
    }
  });

  it('keeps keys out of the logs: only public ids appear', async () => {
    const { body } = await admin(node, 'POST', '/services/orders/api-keys', { name: 'logged' });
    await admin(node, 'DELETE', '/services/orders/api-keys/logged');
    await call(node, body.api_key);
    await sleep(100);
    const logs = node.logs.join('\n');
    assert.ok(!logs.includes(body.api_key), 'the key is not in the logs');
    assert.ok(logs.includes(body.key_id), 'its public id is');
  });
});
