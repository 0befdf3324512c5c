/**
 * Paginated listings: following `next` visits every entity once, keeps the page size, and works
 * the same under a nested path.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { createAdminHarness, type AdminHarness } from '../../test/support/admin-harness.js';

async function follow(h: AdminHarness, first: string): Promise<{ ids: string[]; pages: number; sizes: number[] }> {
  const ids: string[] = [];
  const sizes: number[] = [];
  let url: string | null = first;
  while (url) {
    const res = await h.call('GET', url);
    assert.equal(res.status, 200, url);
    ids.push(...res.body.data.map((e: { id: string }) => e.id));
    sizes.push(res.body.data.length);
    if (res.body.next) {
      const here: URLSearchParams = new URL(url, 'http://x').searchParams;
      const next: URLSearchParams = new URL(res.body.next, 'http://x').searchParams;
      assert.equal(new URL(res.body.next, 'http://x').pathname, url.split('?')[0]);
      assert.equal(next.get('offset'), res.body.offset);
      assert.equal(next.get('size'), here.get('size') ?? '100');
      for (const [k, v] of here) if (k !== 'offset' && k !== 'size') assert.deepEqual(next.getAll(k), here.getAll(k), `next keeps ${k}=${v}`);
    }
    url = res.body.next;
  }
  return { ids, pages: sizes.length, sizes };
}

describe('Admin API pagination', () => {
  let database: TestDatabase;
  let h: AdminHarness;

  before(async () => {
    database = await createTestDatabase('sqlite');
    h = await createAdminHarness(database);
    for (let i = 0; i < 25; i++) await h.call('POST', '/consumers', { username: `user-${i}` });
    await h.call('POST', '/services', { name: 'svc', url: 'http://svc.test' });
    for (let i = 0; i < 7; i++) await h.call('POST', '/services/svc/routes', { name: `route-${i}`, paths: [`/p${i}`] });
    await h.call('POST', '/routes', { name: 'elsewhere', paths: ['/e'] });
  });
  after(async () => {
    await h.close();
    await database.drop();
  });

  describe('200', () => {
    it('visits every entity exactly once by following next links', async () => {
      const { ids, pages, sizes } = await follow(h, '/consumers?size=10');
      assert.equal(ids.length, 25);
      assert.equal(new Set(ids).size, 25);
      assert.equal(pages, 3);
      assert.deepEqual(sizes, [10, 10, 5]);
    });

    it('returns offset and next as null on the last page', async () => {
      const res = await h.call('GET', '/consumers?size=1000');
      assert.equal(res.body.data.length, 25);
      assert.equal(res.body.offset, null);
      assert.equal(res.body.next, null);
    });

    it('defaults to pages of 100', async () => {
      const res = await h.call('GET', '/consumers');
      assert.equal(res.body.data.length, 25);
    });

    it('pages a nested listing under its own path, children of that parent only', async () => {
      const { ids, pages } = await follow(h, '/services/svc/routes?size=3');
      assert.equal(ids.length, 7);
      assert.equal(new Set(ids).size, 7);
      assert.equal(pages, 3);
    });

    it('gives an opaque offset that works when passed by hand', async () => {
      const first = await h.call('GET', '/consumers?size=20');
      const rest = await h.call('GET', `/consumers?size=20&offset=${encodeURIComponent(first.body.offset)}`);
      assert.equal(rest.body.data.length, 5);
      assert.doesNotMatch(first.body.offset, /user-/);
    });
  });
});
