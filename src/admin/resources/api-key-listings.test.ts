/**
 * Operator-facing correctness of the API-key routes (issue 11): every `next` link keeps every
 * filter, so walking a filtered listing to its end never shows another owner's keys or keys of
 * another status; a revoke for an owner that does not exist is 404 while an unknown or already
 * revoked key of an existing owner stays 204; a grace period never outlives the key's expiry.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createAdminHarness, type AdminHarness } from '../../../test/support/admin-harness.js';
import { createTestDatabase, type TestDatabase } from '../../../test/support/databases.js';
import { loadConfig } from '../../config/load-config.js';
import { featureRoutes } from '../../../test/support/feature-routes.js';

const config = loadConfig({
  env: {
    PORTCULLIS_API_KEYS_ISSUERS: JSON.stringify([
      { name: 'portcullis', prefix: 'pcg', type: 'local' },
      { name: 'devportal', prefix: 'dev', type: 'push' },
    ]),
  },
});

interface KeyView {
  name: string;
  status: string;
  issuer: string;
  service: { id: string } | null;
  consumer: { id: string } | null;
}

describe('API-key listings, revokes and grace periods', () => {
  let database: TestDatabase;
  let h: AdminHarness;
  const ids: Record<string, string> = {};

  /** Follows `next` from `first` to the end; returns every item and the number of pages. */
  const walk = async (first: string) => {
    const items: KeyView[] = [];
    let pages = 0;
    for (let url: string | null = first; url; pages++) {
      const res: { status: number; body: { data: KeyView[]; next: string | null } } = await h.call('GET', url);
      assert.equal(res.status, 200, url);
      items.push(...res.body.data);
      url = res.body.next;
    }
    return { items, pages };
  };

  before(async () => {
    database = await createTestDatabase('sqlite');
    h = await createAdminHarness(database, { extraRoutes: featureRoutes(config) });
    ids['orders'] = (await h.call('POST', '/services', { name: 'orders', url: 'http://orders.test' })).body.id;
    ids['billing'] = (await h.call('POST', '/services', { name: 'billing', url: 'http://billing.test' })).body.id;
    ids['bob'] = (await h.call('POST', '/consumers', { username: 'bob' })).body.id;
    ids['carol'] = (await h.call('POST', '/consumers', { username: 'carol' })).body.id;
    // orders: 5 active (2 pushed by devportal), 4 revoked; billing: 3 active, 2 revoked; bob: 3 own active, 2 revoked, 2 orders keys for him; carol: 2 own.
    const make = async (path: string, name: string, body: Record<string, unknown> = {}) =>
      assert.equal((await h.call('POST', `${path}/api-keys`, { name, ...body })).status, 201, name);
    for (let i = 0; i < 3; i++) await make('/services/orders', `o-active-${i}`);
    for (let i = 0; i < 2; i++) await make('/services/orders', `o-pushed-${i}`, { sha256: String(i).repeat(64) });
    for (let i = 0; i < 4; i++) {
      await make('/services/orders', `o-revoked-${i}`);
      assert.equal((await h.call('DELETE', `/services/orders/api-keys/o-revoked-${i}`)).status, 204);
    }
    for (let i = 0; i < 3; i++) await make('/services/billing', `b-active-${i}`);
    for (let i = 0; i < 2; i++) {
      await make('/services/billing', `b-revoked-${i}`);
      await h.call('DELETE', `/services/billing/api-keys/b-revoked-${i}`);
    }
    for (let i = 0; i < 3; i++) await make('/consumers/bob', `bob-${i}`);
    for (let i = 0; i < 2; i++) {
      await make('/consumers/bob', `bob-revoked-${i}`);
      await h.call('DELETE', `/consumers/bob/api-keys/bob-revoked-${i}`);
    }
    for (let i = 0; i < 2; i++) await make('/services/orders', `o-for-bob-${i}`, { consumer: 'bob' });
    for (let i = 0; i < 2; i++) await make('/consumers/carol', `carol-${i}`);
  });
  after(async () => {
    await h.close();
    await database.drop();
  });

  const listings: { url: string; expect: number; matches: (k: KeyView) => boolean }[] = [
    { url: '/services/orders/api-keys?status=active', expect: 7, matches: (k) => k.status === 'active' && k.service?.id === ids['orders'] },
    { url: '/services/orders/api-keys?status=revoked', expect: 4, matches: (k) => k.status === 'revoked' && k.service?.id === ids['orders'] },
    { url: '/services/orders/api-keys?issuer=devportal', expect: 2, matches: (k) => k.issuer === 'devportal' && k.service?.id === ids['orders'] },
    { url: '/services/orders/api-keys?status=active&issuer=portcullis', expect: 5, matches: (k) => k.status === 'active' && k.issuer === 'portcullis' },
    { url: '/services/billing/api-keys?status=revoked', expect: 2, matches: (k) => k.status === 'revoked' && k.service?.id === ids['billing'] },
    { url: '/consumers/bob/api-keys?status=active', expect: 3, matches: (k) => k.status === 'active' && k.consumer?.id === ids['bob'] && k.service === null },
    { url: '/consumers/bob/api-keys?status=revoked', expect: 2, matches: (k) => k.status === 'revoked' && k.consumer?.id === ids['bob'] },
    { url: '/api-keys?status=revoked', expect: 8, matches: (k) => k.status === 'revoked' },
    { url: '/api-keys?status=active&issuer=portcullis', expect: 13, matches: (k) => k.status === 'active' && k.issuer === 'portcullis' },
  ];
  for (const { url, expect, matches } of listings) {
    for (const size of [1, 2, 3]) {
      it(`keeps every filter in next links: ${url} in pages of ${size}`, async () => {
        const { items, pages } = await walk(`${url}&size=${size}`);
        for (const k of items) assert.ok(matches(k), `${k.name} (${k.status}, ${k.issuer}) does not belong in ${url}`);
        assert.equal(items.length, expect, `${url}: ${items.map((k) => k.name).join(', ')}`);
        assert.equal(new Set(items.map((k) => `${k.service?.id}/${k.consumer?.id}/${k.name}/${k.status}`)).size, items.length, 'no item twice');
        assert.equal(pages, Math.max(1, Math.ceil(expect / size)), 'one page per size items, no empty last page');
      });
    }
  }

  it('answers 404 to a revoke for a service or consumer that does not exist', async () => {
    for (const path of [
      '/services/nope/api-keys/o-active-0',
      '/consumers/nobody/api-keys/bob-0',
      '/services/00000000-0000-4000-8000-000000000000/api-keys/x',
    ]) {
      const res = await h.call('DELETE', path);
      assert.equal(res.status, 404, path);
      assert.equal(res.body.code, 'PC_NOT_FOUND');
    }
  });

  it('answers 204 to a revoke of an unknown or already revoked key of an existing owner (idempotent, leaks nothing)', async () => {
    for (const path of [
      '/services/orders/api-keys/never-was',
      '/services/orders/api-keys/o-revoked-0',
      '/consumers/bob/api-keys/bob-revoked-0',
      '/consumers/carol/api-keys/nope',
    ]) {
      assert.equal((await h.call('DELETE', path)).status, 204, path);
    }
  });

  it('caps a grace period at the key expiry: the old value never outlives the key', async () => {
    await h.call('POST', '/services/billing/api-keys', { name: 'short-lived', expires_in: { unit: 'seconds', duration: 60 } });
    const res = await h.call('POST', '/services/billing/api-keys/short-lived/regenerate', { grace_period: 3600 });
    assert.equal(res.status, 200);
    assert.ok(Date.parse(res.body.grace_until) <= Date.parse(res.body.expires_at), `${res.body.grace_until} > ${res.body.expires_at}`);
    await h.call('POST', '/services/billing/api-keys', { name: 'long-lived', expires_in: { unit: 'days', duration: 30 } });
    const long = await h.call('POST', '/services/billing/api-keys/long-lived/regenerate', { grace_period: 3600 });
    const graceSeconds = (Date.parse(long.body.grace_until) - Date.now()) / 1000;
    assert.ok(graceSeconds > 3500 && graceSeconds <= 3600, 'a grace period inside the expiry is kept whole');
  });
});
