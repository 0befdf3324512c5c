import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { PluginConfig } from '../entities/plugins.js';
import type { PluginDefinition } from '../plugins/plugin.js';
import { createPluginRegistry } from '../plugins/registry.js';
import { buildRuntimeState, type RuntimeSnapshot } from './runtime-state.js';
import type { PluginChain } from './plugin-chain.js';
import type { RouteMatch } from './router.js';
import { createEntityFactory } from './testing/entities.js';
import { authPlugin, tagPlugin } from './testing/plugins.js';
import { createSelfSignedTestCertificate } from '../../test/support/certificates.js';

const make = createEntityFactory();
const logger = pino({ level: 'silent' });
const service = make.service({ name: 'svc' });
const route = make.route({ name: 'r', paths: ['/'], service: { id: service.id } });
const otherRoute = make.route({ name: 'other', paths: ['/other'], service: { id: service.id } });
const alice = make.consumer({ username: 'alice' });
const bob = make.consumer({ username: 'bob' });

function stateOf(plugins: PluginConfig[], definitions: PluginDefinition[] = [tagPlugin(), authPlugin]) {
  const snapshot: RuntimeSnapshot = { services: [service], routes: [route, otherRoute], consumers: [alice, bob], plugins };
  return buildRuntimeState(snapshot, createPluginRegistry(definitions), { logger });
}

const matchOf = (state: ReturnType<typeof stateOf>, path = '/') => state.router.match('GET', 'h', path, {}) as RouteMatch;
const ids = (chain: PluginChain) => chain.entries.map((e) => e.configId);

describe('buildRuntimeState: plugin precedence', () => {
  const global = make.plugin({ name: 'tag', config: { value: 'global' } });
  const onService = make.plugin({ name: 'tag', service: { id: service.id }, config: { value: 'service' } });
  const onRoute = make.plugin({ name: 'tag', route: { id: route.id }, config: { value: 'route' } });
  const onRouteService = make.plugin({ name: 'tag', route: { id: route.id }, service: { id: service.id }, config: { value: 'route+service' } });
  const onConsumer = make.plugin({ name: 'tag', consumer: { id: alice.id }, config: { value: 'consumer' } });
  const onServiceConsumer = make.plugin({ name: 'tag', service: { id: service.id }, consumer: { id: alice.id }, config: { value: 'service+consumer' } });
  const onRouteConsumer = make.plugin({ name: 'tag', route: { id: route.id }, consumer: { id: alice.id }, config: { value: 'route+consumer' } });
  const onAll = make.plugin({ name: 'tag', route: { id: route.id }, service: { id: service.id }, consumer: { id: alice.id }, config: { value: 'all' } });
  const ladder = [global, onService, onRoute, onRouteService, onConsumer, onServiceConsumer, onRouteConsumer, onAll];

  it('picks route+service > route > service > global for a request without consumer', () => {
    for (let i = 0; i < 4; i++) {
      const state = stateOf(ladder.slice(0, i + 1));
      assert.deepEqual(ids(state.pluginsFor(matchOf(state))), [ladder[i]!.id]);
    }
  });

  it('picks route+service+consumer > route+consumer > service+consumer > route+service > consumer once a consumer is known', () => {
    const expected = [onRouteService, onServiceConsumer, onRouteConsumer, onAll];
    for (let i = 4; i < ladder.length; i++) {
      const state = stateOf(ladder.slice(0, i + 1));
      assert.deepEqual(ids(state.pluginsForConsumer(matchOf(state), alice.id)), [expected[i - 4]!.id], `with ${i + 1} levels`);
    }
    const consumerOverRoute = stateOf([global, onService, onRoute, onConsumer]);
    assert.deepEqual(ids(consumerOverRoute.pluginsForConsumer(matchOf(consumerOverRoute), alice.id)), [onConsumer.id]);
  });

  it('keeps the route chain for consumers without configurations of their own', () => {
    const state = stateOf(ladder);
    assert.equal(state.pluginsForConsumer(matchOf(state), bob.id), state.pluginsFor(matchOf(state)));
  });

  it('applies route-scoped configurations only to their route', () => {
    const state = stateOf([global, onRoute]);
    assert.deepEqual(ids(state.pluginsFor(matchOf(state, '/other'))), [global.id]);
  });

  it('ignores disabled configurations and configurations for unknown consumers', () => {
    const state = stateOf([global, { ...onRoute, enabled: false }, make.plugin({ name: 'tag', consumer: { id: 'ghost' }, config: { value: 'x' } })]);
    assert.deepEqual(ids(state.pluginsFor(matchOf(state))), [global.id]);
  });

  it('ignores an authentication plugin scoped to a consumer', () => {
    const auth = make.plugin({ name: 'auth' });
    const state = stateOf([auth, make.plugin({ name: 'auth', consumer: { id: alice.id } })]);
    assert.deepEqual(ids(state.pluginsForConsumer(matchOf(state), alice.id)), [auth.id]);
  });
});

describe('buildRuntimeState: chains and instances', () => {
  it('orders a chain by priority, highest first', () => {
    const state = stateOf([make.plugin({ name: 'tag', config: { value: 'a' } }), make.plugin({ name: 'auth' })]);
    assert.deepEqual(
      state.pluginsFor(matchOf(state)).entries.map((e) => e.name),
      ['auth', 'tag'],
    );
  });

  it('fails closed: a configuration that cannot run rejects its requests with 500', async () => {
    const invalid = make.plugin({ name: 'tag', config: { value: 42 } });
    const unknown = make.plugin({ name: 'not-installed', route: { id: route.id } });
    for (const config of [invalid, unknown]) {
      const chain = stateOf([config]).pluginsFor(matchOf(stateOf([config])));
      assert.equal(chain.access.length, 1);
      assert.deepEqual(await chain.access[0]!.instance.access!({} as never), { kind: 'reject', status: 500, code: 'PC_INTERNAL' });
    }
  });

  it('creates one instance per configuration and closes them all with the state', () => {
    const closed: string[] = [];
    const definitions = [tagPlugin('tag', 100, closed)];
    const state = stateOf(
      [make.plugin({ name: 'tag', config: { value: 'g' } }), make.plugin({ name: 'tag', route: { id: route.id }, config: { value: 'r' } })],
      definitions,
    );
    assert.equal(state.pluginsFor(matchOf(state, '/other')).entries[0]!.instance, state.pluginsFor(matchOf(state, '/other')).entries[0]!.instance);
    state.close();
    assert.deepEqual(closed.sort(), ['tag:g', 'tag:r']);
  });

  it('carries the version it was built with', () => {
    const snapshot: RuntimeSnapshot = { services: [], routes: [], consumers: [], plugins: [], version: 7 };
    assert.equal(buildRuntimeState(snapshot, createPluginRegistry([]), { logger }).version, 7);
  });
});

describe('buildRuntimeState: certificates', () => {
  it('indexes the snapshot’s certificates by their SNI names, and none without them', async () => {
    const cert = await createSelfSignedTestCertificate({ names: ['api.example.test'] });
    const material = { id: 'c1', cert: cert.cert, key: cert.key, cert_alt: null, key_alt: null };
    const base: RuntimeSnapshot = { services: [], routes: [], consumers: [], plugins: [] };
    const state = buildRuntimeState(
      { ...base, certificates: [material], snis: [{ name: 'api.example.test', certificate: { id: 'c1' } }] },
      createPluginRegistry([]),
      { logger },
    );
    const served = state.certificates.contextFor('api.example.test');
    assert.ok(typeof served === 'object' && served.id === 'c1');
    assert.equal(state.certificates.contextFor('other.test'), 'none');
    assert.equal(buildRuntimeState(base, createPluginRegistry([]), { logger }).certificates.contextFor('api.example.test'), 'none');
  });

  it('makes the certificates with the TLS options it is given (a cipher list OpenSSL refuses leaves none usable)', async () => {
    const cert = await createSelfSignedTestCertificate({ names: ['api.example.test'] });
    const snapshot: RuntimeSnapshot = {
      services: [],
      routes: [],
      consumers: [],
      plugins: [],
      certificates: [{ id: 'c1', cert: cert.cert, key: cert.key, cert_alt: null, key_alt: null }],
      snis: [{ name: 'api.example.test', certificate: { id: 'c1' } }],
    };
    const refused = buildRuntimeState(snapshot, createPluginRegistry([]), { logger }, { minVersion: 'TLSv1.2', ciphers: 'NO-SUCH-CIPHER' });
    assert.equal(refused.certificates.contextFor('api.example.test'), 'unusable');
    const usable = buildRuntimeState(snapshot, createPluginRegistry([]), { logger }, { minVersion: 'TLSv1.3', ciphers: 'TLS_AES_256_GCM_SHA384' });
    assert.equal(typeof usable.certificates.contextFor('api.example.test'), 'object');
  });
});
