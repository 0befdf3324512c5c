/**
 * Kong's key-auth listings as read-only aliases of the API-key listings: the right keys, every
 * page, never a secret (the plaintext is shown once, at generation), 404 for an unknown consumer.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestNode, type TestNode } from '../../../test/support/running-node.js';

type Json = Record<string, any>;

describe("Kong's key-auth listings", () => {
  let t: TestNode;
  const secrets: string[] = [];
  const ids: Record<string, string> = {};

  const walk = async (url: string) => {
    const items: Json[] = [];
    let next: string | null = url;
    while (next) {
      const res = await t.call('GET', next);
      assert.equal(res.status, 200, res.text);
      for (const secret of secrets) assert.ok(!res.text.includes(secret), 'a listing shows a key');
      items.push(...res.body.data);
      next = res.body.next;
    }
    return items;
  };

  before(async () => {
    t = await startTestNode('sqlite');
    await t.call('POST', '/services', { name: 'web', url: 'http://127.0.0.1:9' });
    for (const username of ['carol', 'dave']) ids[username] = (await t.call('POST', '/consumers', { username })).body.id;
    for (const [path, name] of [
      ['/consumers/carol/api-keys', 'c1'],
      ['/consumers/carol/api-keys', 'c2'],
      ['/consumers/dave/api-keys', 'd1'],
      ['/services/web/api-keys', 'w1'],
    ]) {
      const res = await t.call('POST', path!, { name });
      assert.equal(res.status, 201, res.text);
      secrets.push(res.body.api_key);
    }
  });
  after(async () => t.close());

  it("lists a consumer's keys at /consumers/{c}/key-auth, by name or id, page by page", async () => {
    for (const owner of ['carol', ids['carol']!]) {
      const items = await walk(`/consumers/${owner}/key-auth?size=1`);
      assert.deepEqual(items.map((k) => k.name).sort(), ['c1', 'c2']);
      assert.ok(items.every((k) => k.consumer?.id === ids['carol'] && k.api_key === undefined && k.key === undefined && k.hash === undefined));
    }
    assert.deepEqual(
      (await walk('/consumers/dave/key-auth')).map((k) => k.name),
      ['d1'],
    );
  });

  it('lists every key at /key-auths', async () => {
    assert.deepEqual((await walk('/key-auths?size=2')).map((k) => k.name).sort(), ['c1', 'c2', 'd1', 'w1']);
  });

  it('answers 404 for an unknown consumer and refuses writes (read-only)', async () => {
    const unknown = await t.call('GET', '/consumers/nobody/key-auth');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'PC_NOT_FOUND');
    for (const [method, path] of [
      ['POST', '/consumers/carol/key-auth'],
      ['POST', '/key-auths'],
      ['DELETE', '/key-auths'],
    ]) {
      const res = await t.call(method!, path!, method === 'POST' ? { key: 'x' } : undefined);
      assert.ok([404, 405].includes(res.status), `${method} ${path}: ${res.status}`);
    }
  });
});
