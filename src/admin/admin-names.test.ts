/**
 * Names through the Admin API, on SQLite and PostgreSQL: every human-chosen identifier refuses
 * control, bidi and zero-width characters (several code points of each class, in bodies and in
 * PUT paths), and names are stored and compared in NFC, so two spellings of one visible name
 * cannot coexist (409) and a lookup by either spelling finds the stored one.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DIALECTS } from '../../test/support/databases.js';
import type { AdminHarness } from '../../test/support/admin-harness.js';
import { createOrdersHarness } from '../../test/support/feature-routes.js';
import { FORBIDDEN_CHARACTERS, codePoints } from '../../test/support/forbidden-characters.js';

/** A request that puts `name` in one name field, and the field path a refusal must name. */
interface NameField {
  readonly field: string;
  request(name: string): [method: string, url: string, body: unknown];
  readonly path: string | RegExp;
}

/** A path segment; a lone surrogate becomes its WTF-8 bytes, which no percent-decoder accepts. */
const enc = (name: string) =>
  [...name]
    .map((c) => {
      const code = c.charCodeAt(0);
      if (c.length > 1 || code < 0xd800 || code > 0xdfff) return encodeURIComponent(c);
      return `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`.toUpperCase();
    })
    .join('');
const NAME_FIELDS: readonly NameField[] = [
  { field: 'consumer username', request: (n) => ['POST', '/consumers', { username: n }], path: 'username' },
  { field: 'consumer custom_id', request: (n) => ['POST', '/consumers', { custom_id: n }], path: 'custom_id' },
  { field: 'consumer username in a PUT path', request: (n) => ['PUT', `/consumers/${enc(n)}`, {}], path: 'username' },
  { field: 'basic-auth username', request: (n) => ['POST', '/consumers/alice/basic-auth', { username: n, password: 'pw' }], path: 'username' },
  { field: 'basic-auth username in a PUT path', request: (n) => ['PUT', `/consumers/alice/basic-auth/${enc(n)}`, { password: 'pw' }], path: 'username' },
  { field: 'service tag', request: (n) => ['POST', '/services', { name: 'tagged', url: 'http://t.test', tags: ['ok', n] }], path: 'tags.1' },
  { field: 'route tag', request: (n) => ['POST', '/routes', { paths: ['/t'], tags: [n] }], path: 'tags.0' },
  { field: 'consumer tag', request: (n) => ['POST', '/consumers', { username: 'tagged', tags: [n] }], path: 'tags.0' },
  { field: 'plugin tag', request: (n) => ['POST', '/plugins', { name: 'key-auth', tags: [n] }], path: 'tags.0' },
  { field: 'basic-auth tag', request: (n) => ['POST', '/consumers/alice/basic-auth', { username: 'tagged', password: 'pw', tags: [n] }], path: 'tags.0' },
  { field: 'API-key display_name', request: (n) => ['POST', '/services/orders/api-keys', { display_name: n }], path: 'display_name' },
  {
    field: 'API-key display_name on PUT',
    request: (n) => ['PUT', '/services/orders/api-keys/k1', { api_key: 'x'.repeat(32), display_name: n }],
    path: 'display_name',
  },
  { field: 'API-key metadata key', request: (n) => ['POST', '/services/orders/api-keys', { metadata: { [n]: 1 } }], path: /^metadata\./ },
  { field: 'consumer reference by username', request: (n) => ['POST', '/plugins', { name: 'key-auth', consumer: { username: n } }], path: /^consumer/ },
];

/** Spellings of one visible name: every one normalises to the first (NFC). */
const SPELLINGS: readonly (readonly string[])[] = [
  ['Jos\u00e9', 'Jose\u0301'],
  ['\u00c5sa', 'A\u030asa', '\u212bsa'],
  ['\u1e69ri', 's\u0323\u0307ri', 's\u0307\u0323ri'],
  ['\ud55c\uad6d', '\u1112\u1161\u11ab\u1100\u116e\u11a8'],
  ['caf\u00e9-\u00fc', 'cafe\u0301-u\u0308'],
];

for (const dialect of DIALECTS) {
  describe(`Admin API names on ${dialect}`, () => {
    let h: AdminHarness;

    before(async () => {
      h = await createOrdersHarness(dialect);
    });
    after(() => h.close());

    describe('400 for a name with an invisible or control character', () => {
      for (const { field, request, path } of NAME_FIELDS) {
        for (const [kind, chars] of Object.entries(FORBIDDEN_CHARACTERS)) {
          it(`refuses a ${kind} in the ${field}, naming the field`, async () => {
            for (const c of chars) {
              for (const name of [`ad${c}min`, `${c}admin`]) {
                const [method, url, body] = request(name);
                const res = await h.call(method, url, body);
                assert.equal(res.status, 400, `${codePoints(name)}: ${res.text}`);
                // A lone surrogate cannot be percent-encoded: the path itself is refused.
                if (url.includes('%ED%')) {
                  assert.equal(res.body.code, 'PC_BAD_REQUEST');
                  continue;
                }
                assert.equal(res.body.code, 'PC_VALIDATION_FAILED');
                const paths = (res.body.fields as { path: string }[]).map((f) => f.path);
                assert.ok(
                  paths.some((p) => (typeof path === 'string' ? p === path : path.test(p))),
                  `${codePoints(name)}: ${paths.join(', ')}`,
                );
              }
            }
          });
        }
      }

      it('stores nothing that was refused', async () => {
        const consumers = await h.call('GET', '/consumers?size=1000');
        assert.deepEqual(
          consumers.body.data.map((c: { username: string }) => c.username),
          ['alice'],
        );
      });
    });

    describe('409 for a second spelling of a taken name (NFC)', () => {
      SPELLINGS.forEach((spellings, i) => {
        it(`refuses every other spelling of ${codePoints(spellings[0]!)} as username, custom_id and basic-auth username`, async () => {
          const first = await h.call('POST', '/consumers', { username: spellings[1], custom_id: `id-${spellings[1]}` });
          assert.equal(first.status, 201);
          assert.equal(first.body.username, spellings[0], 'stored in NFC');
          assert.equal(first.body.custom_id, `id-${spellings[0]}`);
          const credential = await h.call('POST', '/consumers/alice/basic-auth', { username: `u${i}-${spellings[0]}`, password: 'pw' });
          assert.equal(credential.status, 201);
          for (const other of spellings) {
            const byUsername = await h.call('POST', '/consumers', { username: other });
            assert.equal(byUsername.status, 409, codePoints(other));
            assert.equal(byUsername.body.code, 'PC_STORE_UNIQUE_VIOLATION');
            const byCustomId = await h.call('POST', '/consumers', { username: `other-${i}`, custom_id: `id-${other}` });
            assert.equal(byCustomId.status, 409, codePoints(other));
            const byCredential = await h.call('POST', '/consumers/alice/basic-auth', { username: `u${i}-${other}`, password: 'pw' });
            assert.equal(byCredential.status, 409, codePoints(other));
          }
        });
      });

      it('refuses two spellings of one tag in one list, and stores tags in NFC', async () => {
        const twice = await h.call('POST', '/consumers', { username: 'tags-twice', tags: ['caf\u00e9', 'cafe\u0301'] });
        assert.equal(twice.status, 400);
        assert.deepEqual(twice.body.fields, [{ path: 'tags', message: twice.body.fields[0].message }]);
        const stored = await h.call('POST', '/services', { name: 'nfc-tags', url: 'http://t.test', tags: ['cafe\u0301'] });
        assert.deepEqual(stored.body.tags, ['caf\u00e9']);
      });
    });

    describe('200 for a lookup by any spelling', () => {
      before(async () => {
        assert.equal((await h.call('POST', '/consumers', { username: 'Zo\u00eb' })).status, 201);
        assert.equal((await h.call('POST', '/consumers/Zo%C3%AB/basic-auth', { username: 'zo\u00eb-login', password: 'pw' })).status, 201);
      });
      const nfd = enc('Zoe\u0308');

      it('GET, PATCH and PUT by the decomposed spelling act on the stored consumer', async () => {
        const stored = await h.call('GET', '/consumers/Zo%C3%AB');
        const got = await h.call('GET', `/consumers/${nfd}`);
        assert.equal(got.status, 200);
        assert.equal(got.body.id, stored.body.id);
        const patched = await h.call('PATCH', `/consumers/${nfd}`, { tags: ['vip'] });
        assert.equal(patched.status, 200);
        assert.equal(patched.body.id, stored.body.id);
        const put = await h.call('PUT', `/consumers/${nfd}`, { username: 'Zoe\u0308', tags: ['vip', 'again'] });
        assert.equal(put.status, 200, 'replaced, not created');
        assert.equal(put.body.id, stored.body.id);
      });

      it('finds a nested credential and refers to the consumer by either spelling', async () => {
        const credential = await h.call('GET', `/consumers/${nfd}/basic-auth/${enc('zoe\u0308-login')}`);
        assert.equal(credential.status, 200);
        const key = await h.call('POST', `/consumers/${nfd}/api-keys`, { name: 'zoe-key', display_name: 'Zoe\u0308 key' });
        assert.equal(key.status, 201);
        assert.equal(key.body.display_name, 'Zo\u00eb key');
        const listed = await h.call('GET', `/api-keys?consumer=${nfd}`);
        assert.deepEqual(
          listed.body.data.map((k: { name: string }) => k.name),
          ['zoe-key'],
        );
        const plugin = await h.call('POST', '/plugins', { name: 'key-auth', consumer: { username: 'Zoe\u0308' } });
        assert.equal(plugin.status, 201);
        const consumer = await h.call('GET', '/consumers/Zo%C3%AB');
        assert.equal(plugin.body.consumer.id, consumer.body.id);
      });

      it('DELETE by the decomposed spelling deletes the stored consumer', async () => {
        assert.equal((await h.call('DELETE', `/consumers/${nfd}`)).status, 204);
        assert.equal((await h.call('GET', '/consumers/Zo%C3%AB')).status, 404);
      });
    });
  });
}
