import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Type from 'typebox';
import type { PluginDefinition } from '../plugins/plugin.js';
import { BUILTIN_PLUGINS } from '../plugins/registry.js';
import { createEntityFactory } from './testing/entities.js';
import { echoRequest, send, startProxy, startUpstream, type Echo, type TestProxy, type Upstream } from './testing/harness.js';
import { authPlugin, slowAuthPlugin, tagPlugin } from './testing/plugins.js';

const throwing: PluginDefinition = {
  name: 'throwing',
  priority: 50,
  configSchema: Type.Object({}),
  create: () => ({
    access() {
      throw new Error('boom');
    },
  }),
};

describe('plugin pipeline through the proxy', () => {
  const make = createEntityFactory();
  let upstream: Upstream;
  let proxy: TestProxy;
  const alice = make.consumer({ username: 'alice' });
  const banned = make.consumer({ username: 'banned' });

  before(async () => {
    upstream = await startUpstream(echoRequest);
    const svc = make.service({ port: upstream.port });
    const other = make.service({ port: upstream.port });
    const plain = make.route({ paths: ['/plain'], service: { id: svc.id } });
    const special = make.route({ paths: ['/special'], service: { id: svc.id } });
    const elsewhere = make.route({ paths: ['/elsewhere'], service: { id: other.id } });
    const secure = make.route({ paths: ['/secure'], service: { id: svc.id } });
    const slow = make.route({ paths: ['/slow'], service: { id: svc.id } });
    const broken = make.route({ paths: ['/broken'], service: { id: svc.id } });
    proxy = await startProxy(
      {
        services: [svc, other],
        routes: [plain, special, elsewhere, secure, slow, broken],
        consumers: [alice, banned],
        plugins: [
          make.plugin({ name: 'tag', config: { value: 'global' } }),
          make.plugin({ name: 'tag', service: { id: svc.id }, config: { value: 'service' } }),
          make.plugin({ name: 'tag', route: { id: special.id }, config: { value: 'route' } }),
          make.plugin({ name: 'tag', consumer: { id: alice.id }, config: { value: 'alice' } }),
          make.plugin({ name: 'auth', route: { id: secure.id } }),
          make.plugin({ name: 'slow-auth', route: { id: slow.id } }),
          make.plugin({ name: 'request-termination', consumer: { id: banned.id }, config: { status_code: 403, message: 'Banned' } }),
          make.plugin({ name: 'throwing', route: { id: broken.id } }),
        ],
      },
      {},
      [...BUILTIN_PLUGINS, tagPlugin(), authPlugin, slowAuthPlugin, throwing],
    );
  });

  after(async () => {
    await proxy.close();
    await upstream.close();
  });

  const tags = async (path: string, headers: Record<string, string> = {}) => {
    const res = await send(proxy.port, path, { headers });
    return { status: res.status, upstream: res.status === 200 ? res.json<Echo>().headers['x-tags'] : undefined, response: res.headers['x-tags'] };
  };

  it('runs the most specific configuration: route over service over global', async () => {
    assert.deepEqual(await tags('/elsewhere'), { status: 200, upstream: 'tag:global', response: 'tag:global' });
    assert.deepEqual(await tags('/plain'), { status: 200, upstream: 'tag:service', response: 'tag:service' });
    assert.deepEqual(await tags('/special'), { status: 200, upstream: 'tag:route', response: 'tag:route' });
  });

  it('switches to the consumer configuration after authentication, for the rest of the request', async () => {
    assert.deepEqual(await tags('/secure', { 'x-consumer': alice.id }), { status: 200, upstream: 'tag:alice', response: 'tag:alice' });
    assert.deepEqual(await tags('/slow', { 'x-consumer': alice.id }), { status: 200, upstream: 'tag:alice', response: 'tag:alice' });
  });

  it('keeps the route configuration for a consumer without configurations of its own', async () => {
    assert.deepEqual(await tags('/secure', { 'x-consumer': 'someone-else' }), { status: 200, upstream: 'tag:service', response: 'tag:service' });
  });

  it('answers a reject outcome with its status, JSON error and headers', async () => {
    const res = await send(proxy.port, '/secure');
    assert.equal(res.status, 401);
    assert.equal(res.headers['www-authenticate'], 'Test');
    assert.deepEqual(res.json(), { code: 'PC_AUTH_KEY_INVALID', message: 'Unauthorized' });
    assert.equal((await send(proxy.port, '/slow')).status, 401);
  });

  it('runs consumer-scoped plugins that come after authentication (request-termination for one consumer)', async () => {
    const res = await send(proxy.port, '/secure', { headers: { 'x-consumer': banned.id } });
    assert.equal(res.status, 403);
    assert.deepEqual(res.json(), { code: 'PC_PROXY_REQUEST_TERMINATED', message: 'Banned' });
  });

  it('answers 500 PC_INTERNAL when a plugin throws', async () => {
    const res = await send(proxy.port, '/broken');
    assert.equal(res.status, 500);
    assert.equal(res.json()['code'], 'PC_INTERNAL');
  });
});
