import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Route } from '../../entities/routes.js';
import { createEntityFactory } from '../testing/entities.js';
import { RouteIndex } from './route-index.js';

const make = createEntityFactory();

/** The route name an index answers at `version` for GET host/path, or null. */
const at = (index: RouteIndex, version: number, host: string | undefined, path: string) =>
  index.find(version, 'GET', host, path, {})?.ranked.entry.route.name ?? null;

describe('RouteIndex', () => {
  const plain = make.route({ name: 'plain', paths: ['/a'] });
  const exact = make.route({ name: 'exact', hosts: ['x.test'], paths: ['/a'] });
  const wild = make.route({ name: 'wild', hosts: ['*.test'], paths: ['/a'] });
  const regex = make.route({ name: 'regex', paths: ['~/r\\d'] });

  // Each kind of filing (exact host, wildcard host, no host; prefix and regex) is added, changed and removed.
  const kinds: [string, Route, string | undefined, string][] = [
    ['an exact-host route', exact, 'x.test', '/a/1'],
    ['a wildcard-host route', wild, 'y.test', '/a/1'],
    ['a host-less prefix route', plain, undefined, '/a/1'],
    ['a regex route', regex, undefined, '/r7'],
  ];
  for (const [what, route, host, path] of kinds) {
    it(`adds, changes and removes ${what} at new versions; earlier versions keep their answers`, () => {
      const index = new RouteIndex([], new Map());
      index.update(1, [], [{ route, service: null }]);
      index.update(2, [], [{ route: { ...route, paths: ['/elsewhere'] }, service: null }]);
      index.update(3, [route.id], []);
      assert.deepEqual(
        [0, 1, 2, 3].map((v) => at(index, v, host, path)),
        [null, route.name, null, null],
      );
      assert.deepEqual(
        [0, 1, 2, 3].map((v) => at(index, v, host, '/elsewhere')),
        [null, null, route.name, null],
      );
      assert.equal(index.removedEntries, 2);
    });
  }

  it('files nothing for a route of a disabled service, and counts no removal for it', () => {
    const service = make.service({ enabled: false });
    const index = new RouteIndex([{ ...plain, service: { id: service.id } }], new Map([[service.id, service]]));
    assert.equal(at(index, 0, undefined, '/a'), null);
    index.update(1, [plain.id], []);
    assert.equal(index.removedEntries, 0);
  });

  it('lets a port table made later see the bare host entries of earlier versions only as they were', () => {
    const index = new RouteIndex([exact], new Map());
    const withPort = make.route({ name: 'port', hosts: ['x.test:81'], paths: ['/b'] });
    index.update(1, [], [{ route: withPort, service: null }]);
    assert.equal(at(index, 0, 'x.test:81', '/a'), 'exact');
    assert.equal(at(index, 0, 'x.test:81', '/b'), null);
    assert.equal(at(index, 1, 'x.test:81', '/b'), 'port');
  });
});
