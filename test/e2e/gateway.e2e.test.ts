/**
 * The gateway through the real CLI: the README's quick start, changes reaching the proxy without
 * a restart, a plugin end to end, the CLI's other commands, and graceful shutdown.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { admin, runCli, startCliNode, writeConfig, type CliNode } from './support/cli.js';
import { startEchoUpstream, type Echo, type EchoUpstream } from './support/upstream.js';

describe('the gateway, started by the CLI', () => {
  let node: CliNode;
  let upstream: EchoUpstream;

  before(async () => {
    upstream = await startEchoUpstream();
    node = await startCliNode(writeConfig());
  });
  after(async () => {
    await node.stop();
    await upstream.close();
  });

  it('proxies as the quick start says: a service, a route, then a request', async () => {
    assert.equal((await admin(node, 'POST', '/services', { name: 'echo', url: upstream.url })).status, 201);
    assert.equal((await admin(node, 'POST', '/services/echo/routes', { name: 'echo-route', paths: ['/echo'] })).status, 201);
    const res = await fetch(`${node.proxyUrl}/echo/hello?x=1`);
    assert.equal(res.status, 200);
    const echo = (await res.json()) as Echo;
    assert.equal(echo.url, '/hello?x=1');
    assert.equal(echo.headers['x-forwarded-for'], '127.0.0.1');
    assert.match(String(echo.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    assert.equal(res.headers.get('x-request-id'), echo.headers['x-request-id']);
  });

  it('applies Admin API changes to the proxy without a restart', async () => {
    assert.equal((await fetch(`${node.proxyUrl}/later`)).status, 404);
    await admin(node, 'POST', '/services/echo/routes', { name: 'later', paths: ['/later'] });
    assert.equal((await fetch(`${node.proxyUrl}/later`)).status, 200);
    await admin(node, 'DELETE', '/routes/later');
    const gone = await fetch(`${node.proxyUrl}/later`);
    assert.equal(gone.status, 404);
    assert.equal(((await gone.json()) as { code: string }).code, 'PC_PROXY_NO_ROUTE');
  });

  it('runs a plugin attached through the Admin API, and stops when it is removed', async () => {
    const created = await admin(node, 'POST', '/routes/echo-route/plugins', { name: 'request-termination', config: { status_code: 418, message: 'teapot' } });
    assert.equal(created.status, 201);
    const res = await fetch(`${node.proxyUrl}/echo/x`);
    assert.equal(res.status, 418);
    await admin(node, 'DELETE', `/plugins/${created.body.id}`);
    assert.equal((await fetch(`${node.proxyUrl}/echo/x`)).status, 200);
  });

  it('answers bad Admin API input with a 4xx and a machine-readable code', async () => {
    const bad = await admin(node, 'POST', '/services', { name: 'x', url: 'ftp://nope' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.code, 'PC_VALIDATION_FAILED');
    assert.equal(bad.body.fields[0].path, 'url');
    const plugin = await admin(node, 'POST', '/plugins', { name: 'request-termination', config: { status_code: 99 } });
    assert.equal(plugin.status, 400);
    assert.equal(plugin.body.fields[0].path, 'config.status_code');
    const unknown = await admin(node, 'POST', '/plugins', { name: 'no-such-plugin' });
    assert.equal(unknown.status, 400);
    assert.equal((await admin(node, 'POST', '/services', { name: 'echo', url: upstream.url })).status, 409);
  });

  it('reports readiness and metrics on the admin listener', async () => {
    assert.equal((await admin(node, 'GET', '/status/ready')).status, 200);
    const metrics = await (await fetch(`${node.adminUrl}/metrics`)).text();
    assert.match(metrics, /portcullis_http_requests_total\{route="echo-route",service="echo",status="200"\} \d+/);
    assert.match(metrics, /portcullis_request_duration_seconds_bucket/);
  });
});

describe('the CLI', () => {
  it('prints help for every command', async () => {
    for (const args of [['--help'], ['start', '--help'], ['migrate', '--help'], ['config', 'check', '--help'], ['apikeys', 'generate', '--help']]) {
      const result = await runCli(args);
      assert.equal(result.code, 0, args.join(' '));
      assert.match(result.stdout, /Usage: portcullis/);
    }
  });

  it('checks a configuration and names the bad key', async () => {
    const ok = await runCli(['config', 'check', '--config', writeConfig()]);
    assert.equal(ok.code, 0);
    assert.match(ok.stderr, /configuration is valid/);
    const bad = await runCli(['config', 'check', '--config', writeConfig({ pg_port: 99999 })]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /pg_port: must be <= 65535/);
    const secret = await runCli(['config', 'check', '--config', writeConfig({ pg_password: 'hunter2-secret' })]);
    assert.ok(!secret.stdout.includes('hunter2-secret'));
  });

  it('migrates and reports migration status', async () => {
    const file = writeConfig();
    const before = await runCli(['migrate', 'status', '--config', file]);
    assert.equal(before.code, 3, 'no database yet: migrate status creates none');
    assert.match(before.stderr, /no database at .*portcullis\.db/);
    const up = await runCli(['migrate', 'up', '--config', file]);
    assert.equal(up.code, 0);
    assert.match(up.stdout, /applied 0001_core/);
    const after = await runCli(['migrate', 'status', '--config', file]);
    assert.equal(after.code, 0);
    assert.match(after.stdout, /applied\s+0001_core/);
    assert.match(after.stderr, /database is up to date/);
  });

  it('refuses to start an Admin API on a public address without admin_token', async () => {
    const result = await runCli(['start', '--config', writeConfig({ admin_listen: '0.0.0.0:0' })]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /admin_token must be set/);
  });

  it('protects every admin call with admin_token when one is set', async () => {
    const token = 'e2e-admin-token-0123456789-abcdefghij';
    const node = await startCliNode(writeConfig({ admin_token: token }));
    try {
      assert.equal((await fetch(`${node.adminUrl}/services`)).status, 401);
      assert.equal((await fetch(`${node.adminUrl}/services`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
      assert.ok(!node.logs.join('\n').includes(token), 'the token is never logged');
    } finally {
      await node.stop();
    }
  });

  it('drains an in-flight request on SIGTERM, then exits 0', async () => {
    const slow = await startEchoUpstream({ delayMs: 700 });
    const node = await startCliNode(writeConfig());
    try {
      await admin(node, 'POST', '/services', { name: 'slow', url: slow.url });
      await admin(node, 'POST', '/services/slow/routes', { paths: ['/slow'] });
      const inFlight = fetch(`${node.proxyUrl}/slow`);
      await new Promise((r) => setTimeout(r, 200));
      const exit = node.stop('SIGTERM');
      const res = await inFlight;
      assert.equal(res.status, 200);
      assert.equal(await exit, 0);
      await assert.rejects(fetch(`${node.proxyUrl}/slow`), 'the listener is closed');
    } finally {
      await node.stop();
      await slow.close();
    }
  });
});
