import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Route } from '../../entities/routes.js';
import { compileEntry, PathBytes } from '../route-entry.js';
import { createEntityFactory } from '../testing/entities.js';
import { rankEntries } from '../testing/ranked-entries.js';
import { RouteTable } from './route-table.js';

const make = createEntityFactory();

function tableOf(routes: readonly Partial<Route>[]) {
  const entries = routes.flatMap((fields) => {
    const route = make.route(fields);
    return route.paths.length > 0 ? route.paths.map((p) => compileEntry(route, null, p)) : [compileEntry(route, null, null)];
  });
  const table = new RouteTable();
  for (const ranked of rankEntries(entries)) table.add(ranked);
  return (path: string, method = 'GET') => {
    const hit = table.find(0, method, path, {}, new PathBytes(path));
    return hit === null ? null : `${hit.ranked.entry.route.name} ${hit.length}`;
  };
}

describe('RouteTable', () => {
  const find = tableOf([
    { name: 'any-get', methods: ['GET'] },
    { name: 'low', paths: ['~/items/\\d+'], regex_priority: 0 },
    { name: 'high', paths: ['~/items/4'], regex_priority: 5 },
    { name: 'items', paths: ['/items/'], methods: ['POST'] },
    { name: 'users', paths: ['/users'] },
  ]);
  const cases: [string, string, string | null, string][] = [
    ['/users/7', 'GET', 'users 6', 'a plain prefix beats regexes and path-less routes'],
    ['/items/42', 'POST', 'items 7', 'a plain prefix beats a regex that also matches'],
    ['/items/42', 'GET', 'high 8', 'regexes by regex_priority when no prefix matches'],
    ['/items/52', 'GET', 'low 9', 'the next regex when the first does not match'],
    ['/items/x', 'GET', 'any-get 0', 'path-less routes last'],
    ['/items/x', 'PUT', null, 'nothing when no entry accepts the method'],
  ];
  for (const [path, method, expected, why] of cases) {
    it(`${why}: ${method} ${path} → ${expected}`, () => {
      assert.equal(find(path, method), expected);
    });
  }

  it('takes the older regex route at equal priority, and the earlier path of one route at equal rank', () => {
    const find = tableOf([
      { name: 'older', paths: ['~/a', '~/a/b'] },
      { name: 'newer', paths: ['~/a/b/c'] },
    ]);
    assert.equal(find('/a/b/c'), 'older 2');
  });
});
