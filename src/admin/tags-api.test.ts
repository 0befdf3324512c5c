/**
 * Tag filters on every listing of tagged entities (`?tags=a,b`: all of them; `?tags=a/b`: any of
 * them), their `next` links, the nested listings, and Kong's `GET /tags` and `GET /tags/{tag}`, on
 * SQLite and PostgreSQL. Tags holding LIKE's own characters and tags that are substrings of other
 * tags match exactly.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS, createTestDatabase, type TestDatabase } from '../../test/support/databases.js';
import { createAdminHarness, type AdminHarness } from '../../test/support/admin-harness.js';

type Json = Record<string, any>;

const SERVICES: [string, string[]][] = [
  ['s-ab', ['a', 'b']],
  ['s-a', ['a']],
  ['s-bc', ['b', 'c']],
  ['s-none', []],
  ['s-sub', ['ab', 'xa', 'a_']],
  ['s-like', ['50%_off!', 'q"uote']],
];

for (const dialect of DIALECTS) {
  describe(`tags on ${dialect}`, () => {
    let database: TestDatabase;
    let h: AdminHarness;
    const names = async (url: string): Promise<string[]> => {
      const seen: string[] = [];
      let next: string | null = url;
      while (next) {
        const res = await h.call('GET', next);
        assert.equal(res.status, 200, `${next}: ${res.text}`);
        seen.push(...(res.body as Json).data.map((e: Json) => e.name ?? e.username));
        next = (res.body as Json).next;
      }
      return seen.sort();
    };

    before(async () => {
      database = await createTestDatabase(dialect);
      h = await createAdminHarness(database);
      for (const [name, tags] of SERVICES) assert.equal((await h.call('POST', '/services', { name, url: 'http://x.test', tags })).status, 201);
      await h.call('POST', '/services/s-ab/routes', { name: 'r-a', paths: ['/a'], tags: ['a'] });
      await h.call('POST', '/services/s-ab/routes', { name: 'r-c', paths: ['/c'], tags: ['c'] });
      await h.call('POST', '/consumers', { username: 'carol', tags: ['a', 'team'] });
    });
    after(async () => {
      await h.close();
      await database.drop();
    });

    const filters: [string, string[]][] = [
      ['a', ['s-a', 's-ab']],
      ['a,b', ['s-ab']],
      ['b,a', ['s-ab']],
      ['a/c', ['s-a', 's-ab', 's-bc']],
      ['c/a/zzz', ['s-a', 's-ab', 's-bc']],
      ['zzz', []],
      ['ab', ['s-sub']],
      ['a_', ['s-sub']],
      ['50%_off!', ['s-like']],
      ['50%25_off!', []],
      ['q"uote', ['s-like']],
      ['b,c,a', []],
    ];
    for (const [query, expected] of filters) {
      it(`lists services with ?tags=${query}, every page, following next`, async () => {
        assert.deepEqual(await names(`/services?tags=${encodeURIComponent(query)}&size=1`), expected);
      });
    }

    it('filters nested listings and other entities too', async () => {
      assert.deepEqual(await names('/services/s-ab/routes?tags=c'), ['r-c']);
      assert.deepEqual(await names('/routes?tags=a/c&size=1'), ['r-a', 'r-c']);
      assert.deepEqual(await names('/consumers?tags=team,a'), ['carol']);
    });

    it('refuses a filter it cannot read with 400 naming tags', async () => {
      for (const query of ['a,b/c', 'a,,b', '/a', 'a,', Array.from({ length: 17 }, (_, i) => `t${i}`).join(','), '']) {
        const res = await h.call('GET', `/services?tags=${encodeURIComponent(query)}`);
        assert.equal(res.status, 400, query);
        assert.equal((res.body as Json).code, 'PC_VALIDATION_FAILED', query);
        assert.equal((res.body as Json).fields[0].path, 'tags', query);
      }
    });

    it('refuses tags holding a separator (, or /) or whitespace at write', async () => {
      for (const tag of ['a/b', 'a,b', 'a b']) {
        const res = await h.call('POST', '/services', { name: 'bad-tag', url: 'http://x.test', tags: [tag] });
        assert.equal(res.status, 400, tag);
        assert.equal((res.body as Json).fields[0].path, 'tags.0', tag);
      }
    });

    it('lists every tag with GET /tags, ordered and paginated', async () => {
      const rows: Json[] = [];
      let next: string | null = '/tags?size=3';
      while (next) {
        const res = await h.call('GET', next);
        assert.equal(res.status, 200, res.text);
        rows.push(...(res.body as Json).data);
        next = (res.body as Json).next;
      }
      const expected = SERVICES.flatMap(([, tags]) => tags).length + 2 + 2;
      assert.equal(rows.length, expected);
      const tuple = (r: Json) => [r.tag, r.entity_name, r.entity_id] as string[];
      const before = (x: string[], y: string[]) =>
        x.findIndex((v, i) => v !== y[i]) >= 0 && x.find((v, i) => v !== y[i])! < y[x.findIndex((v, i) => v !== y[i])]!;
      for (let i = 1; i < rows.length; i++) assert.ok(before(tuple(rows[i - 1]!), tuple(rows[i]!)), `row ${i} is out of order`);
      assert.deepEqual(
        rows.filter((r) => r.tag === 'a').map((r) => r.entity_name),
        ['consumers', 'routes', 'services', 'services'],
      );
    });

    it('lists the entities holding one tag with GET /tags/{tag}', async () => {
      const res = await h.call('GET', '/tags/a');
      const data = (res.body as Json).data as Json[];
      assert.deepEqual(
        data.map((r) => r.entity_name),
        ['consumers', 'routes', 'services', 'services'],
      );
      assert.ok(data.every((r) => r.tag === 'a'));
      assert.deepEqual(((await h.call('GET', `/tags/${encodeURIComponent('50%_off!')}`)).body as Json).data.length, 1);
      assert.deepEqual(((await h.call('GET', '/tags/nothing')).body as Json).data, []);
      const bad = await h.call('GET', '/tags?offset=not-an-offset');
      assert.equal(bad.status, 400);
      assert.equal((bad.body as Json).fields[0].path, 'offset');
    });
  });
}
