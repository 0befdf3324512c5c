/**
 * The upstream pools: one per origin and TLS identity, reused across states with the same
 * settings, replaced when a certificate or CA list changes, and closed once nothing uses them
 * (no unbounded growth as certificates rotate). Real HTTPS upstreams on loopback.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Service } from '../entities/services.js';
import { createTestCa, type TestCa, type TestCertificate } from '../../test/support/certificates.js';
import { createEntityFactory } from './testing/entities.js';
import { startTlsUpstream, type TlsUpstream } from './testing/tls-upstream.js';
import { createUpstreamPool, type UpstreamPool, type UpstreamPoolConfig, type UpstreamTarget } from './upstream-pool.js';
import { upstreamTlsFor, type UpstreamTls } from './upstream-tls.js';

const make = createEntityFactory();
// One connection per pool, so connection counts are exact.
const CONFIG: UpstreamPoolConfig = { connectTimeout: 2000, readTimeout: 5000, keepAliveTimeout: 30_000, poolSize: 1 };

/** Sends one GET through `target` and answers its status. */
async function get(target: UpstreamTarget): Promise<number> {
  const res = await target.dispatcher.request({ path: '/', method: 'GET', servername: target.servername } as Parameters<
    UpstreamTarget['dispatcher']['request']
  >[0]);
  await res.body.text();
  return res.statusCode;
}

/** Waits until `check` holds (connections close asynchronously), failing after a second. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100 && !check(); i++) await sleep(10);
  assert.ok(check(), what);
}

describe('upstream pool', () => {
  let ca: TestCa;
  let spare: TestCa;
  let leaf: TestCertificate;
  let upstream: TlsUpstream;
  let pool: UpstreamPool | undefined;

  before(async () => {
    ca = await createTestCa();
    spare = await createTestCa({ name: 'spare CA' });
    leaf = await ca.issue({ names: ['localhost'] });
    upstream = await startTlsUpstream({ cert: leaf.cert, key: leaf.key });
  });
  after(async () => {
    await upstream.close();
  });

  /** A fresh service object for `id` (as each state build makes) and its TLS settings trusting `cas`. */
  function version(id: string, cas: readonly string[]): { service: Service; tls: UpstreamTls } {
    const service = make.service({
      id,
      protocol: 'https',
      host: 'localhost',
      port: upstream.port,
      ca_certificates: cas.map((_, i) => `ca-${i}`),
    } as Partial<Service>);
    const tls = upstreamTlsFor(service, { caCertificate: (ref) => cas[Number(ref.slice(3))], clientCertificate: () => undefined });
    assert.notEqual(tls, 'unusable');
    return { service, tls: tls as UpstreamTls };
  }

  async function withPool(config: Partial<UpstreamPoolConfig>, test: (pool: UpstreamPool) => Promise<void>): Promise<void> {
    pool = createUpstreamPool({ ...CONFIG, ...config });
    try {
      await test(pool);
    } finally {
      await pool.destroy();
      await eventually(() => upstream.open === 0, 'every connection closed after the test');
    }
  }

  it('reuses one pool (and its warm connection) for the same settings in a rebuilt state', () =>
    withPool({}, async (pool) => {
      const accepted = upstream.accepted;
      const first = version('svc-a', [ca.cert]);
      const rebuilt = version('svc-a', [ca.cert]);
      assert.equal(await get(pool.targetFor(first.service, first.tls)), 200);
      assert.equal(pool.targetFor(rebuilt.service, rebuilt.tls).dispatcher, pool.targetFor(first.service, first.tls).dispatcher);
      assert.equal(await get(pool.targetFor(rebuilt.service, rebuilt.tls)), 200);
      assert.equal(upstream.accepted - accepted, 1);
      assert.equal(pool.size, 1);
    }));

  it('makes a new pool when the CA list changes, and closes the old one once no service uses it', () =>
    withPool({ retireAfter: 0 }, async (pool) => {
      const accepted = upstream.accepted;
      const before = version('svc-b', [ca.cert]);
      assert.equal(await get(pool.targetFor(before.service, before.tls)), 200);
      const after = version('svc-b', [spare.cert, ca.cert]);
      const target = pool.targetFor(after.service, after.tls);
      assert.notEqual(target.dispatcher, pool.targetFor(before.service, before.tls).dispatcher);
      assert.equal(await get(target), 200);
      assert.equal(upstream.accepted - accepted, 2, 'the new settings got their own connection');
      await eventually(() => pool.size === 1 && upstream.open === 1, 'the old pool and its idle connection closed');
    }));

  it('keeps the pool count bounded while certificates rotate many times', () =>
    withPool({ retireAfter: 0 }, async (pool) => {
      for (let i = 0; i < 20; i++) {
        const cas = i % 2 === 0 ? [ca.cert] : [ca.cert, spare.cert];
        // Each rotation is a distinct identity: the CA text differs by a comment-free reformatting.
        const v = version(
          'svc-c',
          cas.map((c, j) => (j === 0 ? c + '\n'.repeat(i) : c)),
        );
        assert.equal(await get(pool.targetFor(v.service, v.tls)), 200);
      }
      await eventually(() => pool.size === 1 && upstream.open === 1, `one pool and one connection left (pools: ${pool.size}, connections: ${upstream.open})`);
    }));

  it('keeps a pool that another service still uses when one of them moves on', () =>
    withPool({ retireAfter: 0 }, async (pool) => {
      const shared = [ca.cert];
      const one = version('svc-d1', shared);
      const two = version('svc-d2', shared);
      assert.equal(await get(pool.targetFor(one.service, one.tls)), 200);
      assert.equal(pool.targetFor(two.service, two.tls).dispatcher, pool.targetFor(one.service, one.tls).dispatcher);
      const moved = version('svc-d1', [spare.cert, ca.cert]);
      assert.equal(await get(pool.targetFor(moved.service, moved.tls)), 200);
      await sleep(50);
      assert.equal(pool.size, 2);
      assert.equal(await get(pool.targetFor(two.service, two.tls)), 200);
    }));

  it('leaves a retired pool open for retireAfter, and serves a late request of the old state after it closed', () =>
    withPool({ retireAfter: 150 }, async (pool) => {
      const old = version('svc-e', [ca.cert]);
      assert.equal(await get(pool.targetFor(old.service, old.tls)), 200);
      const next = version('svc-e', [spare.cert, ca.cert]);
      assert.equal(await get(pool.targetFor(next.service, next.tls)), 200);
      await sleep(50);
      assert.equal(pool.size, 2, 'still open within retireAfter');
      await eventually(() => pool.size === 1, 'closed after retireAfter');
      assert.equal(await get(pool.targetFor(old.service, old.tls)), 200, 'a request routed before the rebuild still gets through');
    }));

  it('closes a pool nothing used for idleAfter, and makes it again on the next request', () =>
    withPool({ idleAfter: 60 }, async (pool) => {
      const v = version('svc-f', [ca.cert]);
      assert.equal(await get(pool.targetFor(v.service, v.tls)), 200);
      await eventually(() => pool.size === 0 && upstream.open === 0, 'the idle pool and its connection closed');
      assert.equal(await get(pool.targetFor(v.service, v.tls)), 200);
    }));

  it('ignores TLS settings for a plain-http service', () =>
    withPool({}, async (pool) => {
      const http = make.service({ protocol: 'http', host: '127.0.0.1', port: 9 });
      const { tls } = version('svc-g', [ca.cert]);
      assert.equal(pool.targetFor(http, tls).dispatcher, pool.targetFor(make.service({ ...http }), null).dispatcher);
      assert.equal(pool.size, 1);
    }));

  it('verifies an https service given no settings against the system store', () =>
    withPool({}, async (pool) => {
      const service = make.service({ protocol: 'https', host: 'localhost', port: upstream.port });
      await assert.rejects(get(pool.targetFor(service)), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    }));

  it('computes the Host header and a stable servername once per service object', () =>
    withPool({}, async (pool) => {
      const cases: [Partial<Service>, string, string][] = [
        [{ protocol: 'https', host: 'api.test', port: 443 }, 'api.test', 'api.test'],
        [{ protocol: 'https', host: 'api.test', port: 8443 }, 'api.test:8443', 'api.test'],
        [{ protocol: 'http', host: '[::1]', port: 80 }, '[::1]', '[::1]'],
        [{ protocol: 'https', host: '10.0.0.1', port: 443 }, '10.0.0.1', '10.0.0.1'],
      ];
      for (const [fields, hostHeader, servername] of cases) {
        const service = make.service(fields);
        const target = pool.targetFor(service);
        assert.deepEqual([target.hostHeader, target.servername], [hostHeader, servername]);
        assert.equal(pool.targetFor(service), target);
      }
    }));
});
