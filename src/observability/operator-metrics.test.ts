/**
 * What an operator of a credential gateway reads on `/metrics` of a running node (real HTTP):
 * authentication outcomes by plugin and reason, the key cache's lookups and size, build info,
 * Admin API requests by route pattern, the datastore gauges, latency by route and service,
 * configuration rebuilds as a counter.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../../test/support/running-node.js';
import { startEchoUpstream, type EchoUpstream } from '../../test/e2e/support/upstream.js';

/** The value of one series, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('operator metrics', () => {
  let t: TestNode;
  let upstream: EchoUpstream;
  const metrics = async () => (await t.call('GET', '/metrics')).text;

  before(async () => {
    upstream = await startEchoUpstream();
    t = await startTestNode('sqlite');
    assert.equal((await t.call('POST', '/services', { name: 'orders', url: upstream.url })).status, 201);
    assert.equal((await t.call('POST', '/services/orders/routes', { name: 'orders-api', paths: ['/orders'] })).status, 201);
    assert.equal((await t.call('POST', '/routes/orders-api/plugins', { name: 'key-auth' })).status, 201);
    await t.call('POST', '/consumers', { username: 'carol' });
  });
  after(async () => {
    await t.close();
    await upstream.close();
  });

  it('counts authentication outcomes by plugin and reason, and key cache lookups', async () => {
    const before = await metrics();
    const valid = (await t.call('POST', '/consumers/carol/api-keys', { name: 'k1' })).body.api_key as string;
    const revoked = (await t.call('POST', '/consumers/carol/api-keys', { name: 'k2' })).body.api_key as string;
    assert.equal((await t.call('DELETE', '/consumers/carol/api-keys/k2')).status, 204);
    const wait = async (check: () => Promise<boolean>) => {
      for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
    };
    for (let i = 0; i < 3; i++) assert.equal((await t.proxy('/orders', { headers: { apikey: valid } })).status, 200);
    await wait(async () => (await t.proxy('/orders', { headers: { apikey: revoked } })).status === 401);
    assert.equal((await t.proxy('/orders')).status, 401);
    assert.equal((await t.proxy('/orders', { headers: { apikey: 'pcg_not-a-key' } })).status, 401);
    const after = await metrics();
    const delta = (series: string) => (sample(after, series) ?? 0) - (sample(before, series) ?? 0);
    assert.equal(delta('portcullis_auth_outcomes_total{plugin="key-auth",outcome="valid"}'), 3);
    assert.ok(delta('portcullis_auth_outcomes_total{plugin="key-auth",outcome="revoked"}') >= 1);
    assert.equal(delta('portcullis_auth_outcomes_total{plugin="key-auth",outcome="missing"}'), 1);
    assert.equal(delta('portcullis_auth_outcomes_total{plugin="key-auth",outcome="malformed"}'), 1);
    assert.ok(delta('portcullis_apikey_cache_lookups_total{result="hit"}') >= 2, 'the 2nd and 3rd requests were cache hits');
    assert.ok(delta('portcullis_apikey_cache_lookups_total{result="miss"}') >= 1);
    assert.ok((sample(after, 'portcullis_apikey_cache_entries{kind="positive"}') ?? 0) >= 1);
    assert.equal(sample(after, 'portcullis_apikey_slow_hash_checks{state="queued"}'), 0);
    for (const secret of [valid, revoked]) assert.ok(!after.includes(secret));
  });

  it('labels latency with route and service, counts rebuilds, and shows build info and the datastore', async () => {
    const text = await metrics();
    assert.match(text, /portcullis_request_duration_seconds_count\{route="orders-api",service="orders"\} \d+/);
    assert.match(text, /portcullis_upstream_duration_seconds_count\{route="orders-api",service="orders"\} \d+/);
    assert.match(text, /# TYPE portcullis_config_rebuilds_total counter/);
    assert.ok((sample(text, 'portcullis_config_rebuilds_total') ?? 0) >= 1);
    assert.ok((sample(text, 'portcullis_config_loaded_timestamp_seconds') ?? 0) > 1.7e9);
    assert.match(text, new RegExp(`portcullis_build_info\\{version="[^"]+",node_version="${process.versions.node.replaceAll('.', '\\.')}"\\} 1`));
    assert.equal(sample(text, 'portcullis_datastore_reachable'), 1);
    assert.equal(sample(text, 'portcullis_datastore_writable'), 1);
  });

  it('counts Admin API requests by route pattern, method and status, never by raw path', async () => {
    await t.call('GET', '/services/orders');
    await t.call('GET', '/services/no-such-service');
    await t.call('GET', '/no/such/endpoint/secret-looking-path');
    const text = await metrics();
    assert.ok((sample(text, 'portcullis_admin_requests_total{route="/services/:service",method="GET",status="200"}') ?? 0) >= 1);
    assert.ok((sample(text, 'portcullis_admin_requests_total{route="/services/:service",method="GET",status="404"}') ?? 0) >= 1);
    assert.ok(!text.includes('secret-looking-path'));
    assert.ok(!text.includes('no-such-service'));
  });

  // Last: it stops the node's event bus.
  it('shows the cluster event lag: 0 once this process applied every event, the count of unread events otherwise', async () => {
    await t.node.bus.poll();
    assert.equal(sample(await metrics(), 'portcullis_cluster_event_lag'), 0);
    // With the bus stopped, events written meanwhile stay unread: exactly that many show as lag.
    await t.node.bus.stop();
    for (let i = 0; i < 3; i++) await t.node.store.recordEvent({ entity: 'services', entity_id: `lag-probe-${i}`, operation: 'update', data: null });
    assert.equal(sample(await metrics(), 'portcullis_cluster_event_lag'), 3);
  });
});
