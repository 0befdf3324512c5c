/**
 * Secrets end to end through a running node (real HTTP on loopback): an upstream that accepts only
 * the credential held in a vault, given to it by the upstream-auth plugin through a reference.
 *
 * - Rotation: the value changes at the backend (the Vault fake, read by the real hcv backend) and
 *   the proxy uses the new one within the vault's ttl, with no failed request during the switch.
 * - Rotation on failure: the upstream refuses (401) before the ttl runs out; the plugin fetches the
 *   reference again and retries once.
 * - Outage: the backend fails; the last good value serves for resurrect_ttl (`stale`), then the
 *   plugin fails closed with 503 (`failing`), and recovers when the backend does.
 * - The built-in store: a write rotates at once.
 * - Writes with references that do not resolve, or are malformed or misplaced, are refused.
 * - No resolved value reaches the logs, the metrics or the Admin API.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { startTestNode, type TestNode } from '../support/running-node.js';
import { startVaultFake, type VaultFake } from '../fakes/vault-kv2.js';

const VAULT_TOKEN = 'hvs.rotation-test-token-0c9e';
/** Every value a vault hands out here: none may appear in logs, metrics or Admin API answers. */
const SECRETS: string[] = ['tok-one-5d1a', 'tok-two-77b0', 'tok-three-a4e2', 'tok-four-19cf', 'store-tok-1-c3', 'store-tok-2-d4', 'late-tok-e5'];
const [TOK1, TOK2, TOK3, TOK4, STORE1, STORE2, LATE] = SECRETS as [string, string, string, string, string, string, string];

describe('vault references through a running node', () => {
  let t: TestNode;
  let vault: VaultFake;
  let upstream: Server;
  /** What the upstream accepts in `x-api-key`, per path prefix. */
  const accepted = new Map<string, Set<string>>();
  const seen: { path: string; key: string | undefined; status: number }[] = [];

  const accept = (route: string, ...keys: string[]) => accepted.set(route, new Set(keys));
  const get = async (path: string) => {
    const res = await t.proxy(path);
    return { status: res.status, body: await res.text() };
  };
  const statusOf = async (reference: string) =>
    ((await t.call('GET', '/vaults/references')).body.data as { reference: string; status: string }[]).find((d) => d.reference === reference)?.status;

  before(async () => {
    vault = await startVaultFake({ token: VAULT_TOKEN });
    upstream = createServer((req, res) => {
      const route = `/${(req.url ?? '').split('/')[1]}`;
      const key = req.headers['x-api-key'] as string | undefined;
      const ok = key !== undefined && (accepted.get(route)?.has(key) ?? false);
      seen.push({ path: req.url ?? '', key, status: ok ? 200 : 401 });
      res.writeHead(ok ? 200 : 401, { 'content-type': 'text/plain' }).end(ok ? 'ok' : 'refused');
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    t = await startTestNode('sqlite', { env: { VAULT_TOKEN }, logLevel: 'debug' });
    const url = new URL(vault.url);
    const hcv = (settings: Record<string, number>) => ({
      protocol: 'http',
      host: url.hostname,
      port: Number(url.port),
      kv: 'v2',
      token: '{vault://env/vault-token}',
      timeout: 500,
      ...settings,
    });
    for (const [prefix, settings] of [
      ['hv', { ttl: 1, neg_ttl: 1, resurrect_ttl: 60 }],
      ['hv-long', { ttl: 3600, neg_ttl: 1, resurrect_ttl: 60 }],
      ['hv-out', { ttl: 1, neg_ttl: 1, resurrect_ttl: 2 }],
    ] as const) {
      const res = await t.call('POST', '/vaults', { prefix, name: 'hcv', config: hcv(settings) });
      assert.equal(res.status, 201, res.text);
    }
    assert.equal((await t.call('POST', '/vaults', { prefix: 'st', name: 'store' })).status, 201);
    assert.equal((await t.call('PUT', '/vaults/st/secrets/api-token', { value: STORE1 })).status, 201);
    vault.writeSecret('secret', 'rotating', { token: TOK1 });
    vault.writeSecret('secret', 'retried', { token: TOK3 });
    vault.writeSecret('secret', 'outage', { token: TOK4 });
    const { port } = upstream.address() as AddressInfo;
    assert.equal((await t.call('POST', '/services', { name: 'api', url: `http://127.0.0.1:${port}` })).status, 201);
    for (const [route, reference] of [
      ['/rotating', '{vault://hv/rotating/token}'],
      ['/retried', '{vault://hv-long/retried/token}'],
      ['/outage', '{vault://hv-out/outage/token}'],
      ['/store', '{vault://st/api-token}'],
    ] as const) {
      const name = route.slice(1);
      assert.equal((await t.call('POST', '/services/api/routes', { name, paths: [route], strip_path: false })).status, 201);
      const plugin = await t.call('POST', `/routes/${name}/plugins`, {
        name: 'upstream-auth',
        config: { type: 'header', header_name: 'x-api-key', header_value: reference },
      });
      assert.equal(plugin.status, 201, plugin.text);
      assert.equal(plugin.body.config.header_value, reference, 'the Admin API shows the reference');
    }
  });

  after(async () => {
    await t?.close();
    await vault?.close();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  it('uses the value a reference resolves to', async () => {
    accept('/rotating', TOK1);
    assert.deepEqual(await get('/rotating/a'), { status: 200, body: 'ok' });
    assert.equal(seen.at(-1)?.key, TOK1);
    assert.equal(await statusOf('{vault://hv/rotating/token}'), 'resolved');
  });

  it('picks up a value rotated at the backend within ttl, with no failed request during the switch', async (ctx) => {
    accept('/rotating', TOK1, TOK2);
    vault.writeSecret('secret', 'rotating', { token: TOK2 });
    const started = Date.now();
    const statuses: number[] = [];
    let switchedAfter = -1;
    while (Date.now() - started < 5000) {
      statuses.push((await get('/rotating/b')).status);
      if (seen.at(-1)?.key === TOK2) {
        switchedAfter = Date.now() - started;
        break;
      }
      await sleep(25);
    }
    assert.ok(switchedAfter >= 0, 'the new value was never used');
    assert.ok(switchedAfter <= 2500, `the switch took ${switchedAfter} ms (ttl 1 s, rotator tick 1 s)`);
    assert.deepEqual(new Set(statuses), new Set([200]), 'every request during the switch succeeded');
    ctx.diagnostic(`switched after ${switchedAfter} ms; ${statuses.length} requests during the switch, all 200`);
  });

  it('a changed vault takes effect without a restart: every value resolved through it is fetched again', async () => {
    const reads = () => vault.requests.filter((r) => r.path.includes('/rotating')).length;
    const before = reads();
    const vaultUrl = new URL(vault.url);
    const patched = await t.call('PUT', '/vaults/hv', {
      prefix: 'hv',
      name: 'hcv',
      config: {
        protocol: 'http',
        host: vaultUrl.hostname,
        port: Number(vaultUrl.port),
        kv: 'v2',
        token: '{vault://env/vault-token}',
        ttl: 2,
        neg_ttl: 1,
        resurrect_ttl: 60,
        timeout: 500,
      },
    });
    assert.equal(patched.status, 200, patched.text);
    let fetched = false;
    for (let i = 0; i < 40 && !fetched; i++) {
      fetched = reads() > before;
      if (!fetched) await sleep(50);
    }
    assert.ok(fetched, 'the reference was fetched again through the changed vault');
    assert.equal((await get('/rotating/c')).status, 200);
  });

  it('on a 401 fetches the reference again at once and retries the request once', async () => {
    accept('/retried', TOK3);
    assert.equal((await get('/retried/1')).status, 200);
    // The upstream moves to a new credential, and the vault has it; the ttl (1 h) is far away.
    vault.writeSecret('secret', 'retried', { token: TOK2 });
    accept('/retried', TOK2);
    const from = seen.length;
    assert.deepEqual(await get('/retried/2'), { status: 200, body: 'ok' });
    assert.deepEqual(
      seen.slice(from).map((s) => [s.key, s.status]),
      [
        [TOK3, 401],
        [TOK2, 200],
      ],
    );
    assert.equal((await get('/retried/3')).status, 200);
    assert.equal(seen.at(-1)?.key, TOK2, 'later requests use the new value without a retry');
  });

  it('serves the last good value while the backend is down (stale), then fails closed (failing), then recovers', async () => {
    accept('/outage', TOK4);
    assert.equal((await get('/outage/1')).status, 200);
    vault.setOverride({ status: 503, body: { errors: ['Vault is sealed'] }, paths: /outage/ });
    try {
      let stale = false;
      for (let i = 0; i < 40 && !stale; i++) {
        assert.equal((await get('/outage/2')).status, 200, 'the last good value keeps serving');
        stale = (await statusOf('{vault://hv-out/outage/token}')) === 'stale';
        if (!stale) await sleep(100);
      }
      assert.ok(stale, 'the reference shows as stale');
      let failing = false;
      for (let i = 0; i < 60 && !failing; i++) {
        failing = (await statusOf('{vault://hv-out/outage/token}')) === 'failing';
        if (!failing) await sleep(100);
      }
      assert.ok(failing, 'past resurrect_ttl the reference is failing');
      const refused = await get('/outage/3');
      assert.equal(refused.status, 503);
      assert.equal(JSON.parse(refused.body).code, 'PC_VAULT_UNAVAILABLE');
      const health = (await t.call('GET', '/vaults/references')).body.data.find((d: { reference: string }) => d.reference === '{vault://hv-out/outage/token}');
      assert.equal(health.last_error.code, 'PC_VAULT_UNAVAILABLE');
      assert.deepEqual(health.used_by, [`plugins/${(await t.call('GET', '/routes/outage/plugins')).body.data[0].id}:config.header_value`]);
    } finally {
      vault.setOverride(null);
    }
    let back = 0;
    for (let i = 0; i < 60 && back !== 200; i++) {
      back = (await get('/outage/4')).status;
      if (back !== 200) await sleep(100);
    }
    assert.equal(back, 200, 'the route works again once the backend answers');
  });

  it('a write to the built-in store is used at once', async () => {
    accept('/store', STORE1, STORE2);
    assert.equal((await get('/store/1')).status, 200);
    assert.equal(seen.at(-1)?.key, STORE1);
    accept('/store', STORE2);
    assert.equal((await t.call('PUT', '/vaults/st/secrets/api-token', { value: STORE2 })).status, 200);
    assert.equal((await get('/store/2')).status, 200);
    assert.deepEqual(
      seen.slice(-1).map((s) => s.key),
      [STORE2],
      'the first request after the write uses the new value',
    );
  });

  it('refuses a plugin whose reference does not resolve, unless allow_unresolved=true; it then fails closed until the secret exists', async () => {
    const body = { name: 'upstream-auth', config: { type: 'header', header_name: 'x-api-key', header_value: '{vault://hv/late/token}' } };
    assert.equal((await t.call('POST', '/services/api/routes', { name: 'late', paths: ['/late'], strip_path: false })).status, 201);
    const refused = await t.call('POST', '/routes/late/plugins', body);
    assert.equal(refused.status, 400, refused.text);
    assert.equal(refused.body.code, 'PC_VAULT_UNRESOLVED');
    assert.equal(refused.body.fields[0].path, 'config.header_value');
    assert.match(refused.body.fields[0].message, /^PC_VAULT_NOT_FOUND: \{vault:\/\/hv\/late\/token\}/);
    assert.equal((await t.call('POST', '/routes/late/plugins?allow_unresolved=true', body)).status, 201);
    const locked = await get('/late/1');
    assert.equal(locked.status, 503);
    assert.equal(JSON.parse(locked.body).code, 'PC_VAULT_UNAVAILABLE');
    accept('/late', LATE);
    vault.writeSecret('secret', 'late', { token: LATE });
    let status = 0;
    for (let i = 0; i < 60 && status !== 200; i++) {
      status = (await get('/late/2')).status;
      if (status !== 200) await sleep(100);
    }
    assert.equal(status, 200, 'the configuration works once its secret exists (within neg_ttl)');
  });

  const BAD_REFERENCES: [string, Record<string, unknown>, string, RegExp][] = [
    ['a malformed reference', { header_value: '{vault://hv/../x}' }, 'config.header_value', /not a valid vault reference/],
    ['two references in one field', { header_value: '{vault://hv/a/b} {vault://hv/c/d}' }, 'config.header_value', /more than one/],
    ['a reference in a field that takes none', { header_name: '{vault://hv/a/b}' }, 'config.header_name', /does not accept vault references/],
    ['an unknown vault', { header_value: '{vault://nosuch/a/b}' }, 'config.header_value', /PC_VAULT_UNKNOWN/],
    ['a version on a backend without versions', { header_value: '{vault://env/x#3}' }, 'config.header_value', /no versions/],
    [
      'an option that would redirect the backend',
      { header_value: '{vault://hv/a/b?host=evil.example}' },
      'config.header_value',
      /option "host" is not accepted/,
    ],
  ];
  for (const [what, change, field, message] of BAD_REFERENCES) {
    it(`refuses ${what} with 400 naming ${field}`, async () => {
      const config = { type: 'header', header_name: 'x-api-key', header_value: '{vault://hv/rotating/token}', ...change };
      const res = await t.call('POST', '/services/api/plugins', { name: 'upstream-auth', config });
      assert.equal(res.status, 400, res.text);
      const errors = (res.body.fields ?? []).filter((f: { path: string }) => f.path === field);
      assert.ok(
        errors.some((e: { message: string }) => message.test(e.message)),
        res.text,
      );
    });
  }

  it('never shows a literal secret of a plugin config: it reads back as null, a reference as written', async () => {
    const literal = 'literal-upstream-password-6b1f';
    SECRETS.push(literal);
    const created = await t.call('POST', '/services/api/plugins', {
      name: 'upstream-auth',
      config: { type: 'basic', username: '{vault://hv/rotating/token}', password: literal },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.config.password, null);
    assert.equal(created.body.config.username, '{vault://hv/rotating/token}');
    for (const path of ['/plugins', `/plugins/${created.body.id}`, '/services/api/plugins']) {
      const res = await t.call('GET', path);
      assert.equal(res.status, 200);
      assert.ok(!res.text.includes(literal), `${path} shows the literal password`);
    }
    assert.equal((await t.call('DELETE', `/plugins/${created.body.id}`)).status, 204);
  });

  it('no resolved value reaches the logs, the metrics or the Admin API', async () => {
    const answers = await Promise.all(
      ['/plugins', '/vaults', '/vaults/references', '/vaults/st/secrets', '/metrics', '/routes/rotating/plugins'].map((p) => t.call('GET', p)),
    );
    const metrics = answers[4]!.text;
    assert.match(metrics, /portcullis_vault_resolutions_total\{vault="hv",outcome="ok"\} [1-9]/);
    assert.match(metrics, /portcullis_vault_references\{status="resolved"\} [1-9]/);
    const everything = [...answers.map((a) => a.text), ...t.logs.map((l) => JSON.stringify(l))].join('\n');
    for (const secret of [...SECRETS, VAULT_TOKEN]) assert.ok(!everything.includes(secret), `${secret} leaked`);
    assert.ok(t.logs.length > 20, 'the debug log was captured');
  });
});
