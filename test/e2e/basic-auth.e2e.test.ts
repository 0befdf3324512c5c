/** basic-auth end to end through the real CLI: credentials over the Admin API, checks on the proxy. */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { admin, startCliNode, writeConfig, type CliNode } from './support/cli.js';
import { startEchoUpstream, type Echo, type EchoUpstream } from './support/upstream.js';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('basic-auth through the real CLI', () => {
  let node: CliNode;
  let upstream: EchoUpstream;
  let credentialId = '';

  before(async () => {
    upstream = await startEchoUpstream();
    node = await startCliNode(writeConfig());
    await admin(node, 'POST', '/services', { name: 'intranet', url: upstream.url });
    await admin(node, 'POST', '/services/intranet/routes', { name: 'intranet', paths: ['/intranet'] });
    await admin(node, 'POST', '/consumers', { username: 'carol', custom_id: 'emp-42' });
    const created = await admin(node, 'POST', '/consumers/carol/basic-auth', { username: 'carol', password: 'correct horse: battery staple' });
    assert.equal(created.status, 201);
    credentialId = created.body.id;
    assert.equal(created.body.password, undefined, 'the password is never returned');
    await admin(node, 'POST', '/routes/intranet/plugins', { name: 'basic-auth' });
  });
  after(async () => {
    await node.stop();
    await upstream.close();
  });

  const call = (authorization?: string) => fetch(`${node.proxyUrl}/intranet`, { headers: authorization ? { authorization } : {} });

  it('lets a valid credential through as its consumer, without the Authorization header', async () => {
    const res = await call(basic('carol', 'correct horse: battery staple'));
    assert.equal(res.status, 200);
    const echo = (await res.json()) as Echo;
    assert.equal(echo.headers['x-consumer-username'], 'carol');
    assert.equal(echo.headers['x-consumer-custom-id'], 'emp-42');
    assert.equal(echo.headers['x-credential-identifier'], credentialId);
    assert.equal(echo.headers.authorization, undefined);
  });

  it('accepts the scheme in any case (RFC 7617)', async () => {
    assert.equal((await call(`bAsIc ${Buffer.from('carol:correct horse: battery staple').toString('base64')}`)).status, 200);
  });

  it('refuses wrong passwords, unknown users and malformed headers with one uniform 401', async () => {
    const variants = [
      undefined,
      basic('carol', 'wrong'),
      basic('mallory', 'correct horse: battery staple'),
      'Basic !!!notbase64',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      `Bearer ${Buffer.from('carol:x').toString('base64')}`,
      `Basic ${Buffer.from('carol\u0000:x').toString('base64')}`,
    ];
    for (const v of variants) {
      const res = await call(v);
      assert.equal(res.status, 401, String(v));
      assert.equal(res.headers.get('www-authenticate'), 'Basic realm="portcullis", charset="UTF-8"');
      assert.deepEqual(await res.json(), { code: 'PC_AUTH_BASIC_INVALID', message: 'Unauthorized' });
    }
  });

  it('stores the password as an argon2id hash and applies a password change at once', async () => {
    const listed = await admin(node, 'GET', '/consumers/carol/basic-auth');
    assert.equal(listed.body.data[0].password, undefined);
    assert.equal((await admin(node, 'PATCH', `/consumers/carol/basic-auth/${credentialId}`, { password: 'new-password' })).status, 200);
    assert.equal((await call(basic('carol', 'correct horse: battery staple'))).status, 401, 'the old password stops working');
    assert.equal((await call(basic('carol', 'new-password'))).status, 200);
  });

  it('refuses a password that looks like a stored hash', async () => {
    const res = await admin(node, 'POST', '/consumers/carol/basic-auth', { username: 'carol2', password: '$argon2id$v=19$m=1,t=1,p=1$abc$def' });
    assert.equal(res.status, 400);
    assert.equal(res.body.fields[0].path, 'password');
  });

  it('forgets a deleted consumer’s credentials at once', async () => {
    await admin(node, 'POST', '/consumers', { username: 'dave' });
    await admin(node, 'POST', '/consumers/dave/basic-auth', { username: 'dave', password: 'dave-password' });
    assert.equal((await call(basic('dave', 'dave-password'))).status, 200);
    assert.equal((await admin(node, 'DELETE', '/consumers/dave')).status, 204);
    assert.equal((await call(basic('dave', 'dave-password'))).status, 401);
  });
});
