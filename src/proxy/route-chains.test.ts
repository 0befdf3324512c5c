import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createPluginRegistry } from '../plugins/registry.js';
import { createPluginInstances } from './plugin-instances.js';
import { createRouteChains } from './route-chains.js';
import type { RouteMatch } from './router.js';
import { createEntityFactory } from './testing/entities.js';
import { tagPlugin } from './testing/plugins.js';

const make = createEntityFactory();
const svc = make.service({ name: 'svc' });
const alice = make.consumer({ username: 'alice' });
const route = make.route({ name: 'r', paths: ['/'], service: { id: svc.id } });
const global = make.plugin({ name: 'tag', config: { value: 'g' } });
const onService = make.plugin({ name: 'tag', service: { id: svc.id }, config: { value: 's' } });
const onAlice = make.plugin({ name: 'tag', consumer: { id: alice.id }, config: { value: 'a' } });
const configs = [global, onService, onAlice];
const chains = createRouteChains(configs, createPluginInstances(configs, createPluginRegistry([tagPlugin()]), { logger: pino({ level: 'silent' }) }));
const matchOf = (r = route): RouteMatch => ({ route: r, service: r.service ? svc : null, strippedPath: '/', upstreamPath: '/' });
const ids = (chain: ReturnType<typeof chains.forRoute>) => chain.entries.map((e) => e.configId);

describe('createRouteChains', () => {
  it('keeps one chain per route object, made on first use', () => {
    assert.equal(chains.forRoute(route), chains.forRoute(route));
    assert.deepEqual(ids(chains.forRoute(route)), [onService.id]);
  });

  it('gives a changed route (a new object) the chain of what it now names', () => {
    const moved = { ...route, service: null };
    assert.deepEqual(ids(chains.forRoute(moved)), [global.id]);
    assert.deepEqual(ids(chains.forRoute(route)), [onService.id], 'the object a request in flight holds keeps its chain');
  });

  it("uses the route chain for a consumer without configurations, and the consumer's own otherwise", () => {
    assert.equal(chains.forConsumer(matchOf(), 'bob'), chains.forRoute(route));
    const own = chains.forConsumer(matchOf(), alice.id);
    assert.deepEqual(ids(own), [onAlice.id]);
    assert.equal(chains.forConsumer(matchOf(), alice.id), own);
  });
});
