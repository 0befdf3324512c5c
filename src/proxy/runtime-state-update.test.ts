import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { PluginConfig } from '../entities/plugins.js';
import type { Route } from '../entities/routes.js';
import type { Service } from '../entities/services.js';
import { createPluginRegistry } from '../plugins/registry.js';
import { buildRuntimeState, type RuntimeState } from './runtime-state.js';
import { MIN_UPDATES_BEFORE_FULL_BUILD, updateRuntimeState, type RuntimeChanges } from './runtime-state-update.js';
import { isPathRefused } from './router.js';
import { createEntityFactory } from './testing/entities.js';
import { tagPlugin } from './testing/plugins.js';

const make = createEntityFactory();
const logger = pino({ level: 'silent' });
const svc = make.service({ name: 'svc', path: '/base' });
const other = make.service({ name: 'other', path: '/other' });
const existing = make.route({ name: 'existing', paths: ['/old'], service: { id: svc.id } });

function stateOf(plugins: PluginConfig[] = [], closed: string[] = []): RuntimeState {
  return buildRuntimeState({ services: [svc, other], routes: [existing], consumers: [], plugins }, createPluginRegistry([tagPlugin('tag', 100, closed)]), {
    logger,
  });
}

const changes = (fields: { services?: Service[]; removedServices?: string[]; routes?: Route[]; removedRoutes?: string[] }): RuntimeChanges => ({
  services: { changed: fields.services ?? [], removed: fields.removedServices ?? [] },
  routes: { changed: fields.routes ?? [], removed: fields.removedRoutes ?? [] },
});

/** What a state answers for GET `path`: the route name and upstream path, or null. */
function answer(state: RuntimeState, path: string): string | null {
  const found = state.router.match('GET', 'h.test', path, {});
  if (found === null || isPathRefused(found)) return null;
  return `${found.route.name} ${found.upstreamPath}`;
}

describe('updateRuntimeState', () => {
  it('adds, changes and removes routes; the previous state keeps its answers', () => {
    const first = stateOf();
    const added = make.route({ name: 'added', paths: ['/new'], service: { id: svc.id } });
    const second = updateRuntimeState(first, changes({ routes: [added] }))!;
    assert.equal(answer(second, '/new/x'), 'added /base/x');
    assert.equal(answer(first, '/new/x'), null);
    const third = updateRuntimeState(second, changes({ routes: [{ ...added, paths: ['/renamed'], service: { id: other.id } }] }))!;
    assert.equal(answer(third, '/new/x'), null);
    assert.equal(answer(third, '/renamed/x'), 'added /other/x');
    assert.equal(answer(second, '/new/x'), 'added /base/x');
    const fourth = updateRuntimeState(third, changes({ removedRoutes: [added.id] }))!;
    assert.equal(answer(fourth, '/renamed/x'), null);
    assert.equal(answer(fourth, '/old/x'), 'existing /base/x');
    assert.deepEqual(
      [first, second, third, fourth].map((s) => s.version),
      [0, 1, 2, 3],
    );
  });

  it("re-files a changed service's routes: a new path, then disabled", () => {
    const first = stateOf();
    const moved = updateRuntimeState(first, changes({ services: [{ ...svc, path: '/moved' }] }))!;
    assert.equal(answer(moved, '/old/x'), 'existing /moved/x');
    const disabled = updateRuntimeState(moved, changes({ services: [{ ...svc, path: '/moved', enabled: false }] }))!;
    assert.equal(answer(disabled, '/old/x'), null);
    assert.equal(answer(moved, '/old/x'), 'existing /moved/x');
  });

  it("gives a new route its service's and the global plugin chains, and keeps them per route", () => {
    const global = make.plugin({ name: 'tag', config: { value: 'g' } });
    const onOther = make.plugin({ name: 'tag', service: { id: other.id }, config: { value: 'o' } });
    const first = stateOf([global, onOther]);
    const route = make.route({ name: 'r', paths: ['/r'], service: { id: other.id } });
    const second = updateRuntimeState(first, changes({ routes: [route] }))!;
    const match = second.router.match('GET', 'h.test', '/r', {});
    assert.ok(match !== null && !isPathRefused(match));
    assert.deepEqual(
      second.pluginsFor(match).entries.map((e) => e.configId),
      [onOther.id],
    );
    const old = first.router.match('GET', 'h.test', '/old', {});
    assert.ok(old !== null && !isPathRefused(old));
    assert.deepEqual(
      second.pluginsFor(old).entries.map((e) => e.configId),
      [global.id],
    );
  });

  const refusals: [string, (first: RuntimeState) => RuntimeChanges][] = [
    ['a route naming a service the state does not know', () => changes({ routes: [make.route({ paths: ['/x'], service: { id: 'ghost' } })] })],
    [
      'a route naming a service removed in the same batch',
      () => changes({ removedServices: [other.id], routes: [make.route({ paths: ['/x'], service: { id: other.id } })] }),
    ],
    ['a removed service that routes still name', () => changes({ removedServices: [svc.id] })],
    ['a route both changed and removed', () => changes({ routes: [existing], removedRoutes: [existing.id] })],
    ['a service both changed and removed', () => changes({ services: [other], removedServices: [other.id] })],
    ['an https service presenting a client certificate', () => changes({ services: [{ ...other, protocol: 'https', client_certificate: { id: 'c' } }] })],
    ['an https service trusting CA certificates', () => changes({ services: [{ ...other, protocol: 'https', ca_certificates: ['ca'] }] })],
  ];
  for (const [why, change] of refusals) {
    it(`answers null (a full build follows) for ${why}`, () => {
      const first = stateOf();
      assert.equal(updateRuntimeState(first, change(first)), null);
    });
  }

  it('answers a removed service without routes, and an https service without certificates', () => {
    const first = stateOf();
    const https = updateRuntimeState(first, changes({ services: [{ ...other, protocol: 'https' }] }))!;
    assert.ok(https);
    assert.ok(updateRuntimeState(https, changes({ removedServices: [other.id] })));
  });

  it('derives only from the newest state of a lineage, and from no other object', () => {
    const first = stateOf();
    assert.ok(updateRuntimeState(first, changes({})));
    assert.equal(updateRuntimeState(first, changes({})), null, 'an older state');
    assert.equal(updateRuntimeState({ ...first }, changes({})), null, 'a copy');
  });

  it('answers null after a bounded number of updates (a full build drops removed entries)', () => {
    let state = stateOf();
    let updates = 0;
    for (
      let next = updateRuntimeState(state, changes({ routes: [existing] }));
      next !== null;
      next = updateRuntimeState(state, changes({ routes: [existing] }))
    ) {
      state = next;
      updates++;
    }
    // Each update re-files one route: one more removed entry, so the bound is reached at half the updates.
    assert.equal(updates, MIN_UPDATES_BEFORE_FULL_BUILD / 2);
  });

  it('closes the plugin instances with the newest state of the lineage only', () => {
    const closed: string[] = [];
    const first = stateOf([make.plugin({ name: 'tag', config: { value: 'g' } })], closed);
    const second = updateRuntimeState(first, changes({ routes: [make.route({ paths: ['/n'] })] }))!;
    first.close();
    assert.deepEqual(closed, [], 'the newer state still uses them');
    second.close();
    assert.deepEqual(closed, ['tag:g']);
  });
});
