import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Route } from '../../entities/routes.js';
import { compileEntry } from '../route-entry.js';
import { createEntityFactory } from '../testing/entities.js';
import { PrefixTree } from './prefix-tree.js';
import { rankEntries } from '../testing/ranked-entries.js';

const make = createEntityFactory();

/** A tree over one route per prefix (route name = prefix), optionally with route fields. */
function treeOf(prefixes: readonly (string | [string, Partial<Route>])[]) {
  const entries = prefixes.map((p) => {
    const [prefix, fields] = typeof p === 'string' ? [p, {}] : p;
    return compileEntry(make.route({ name: prefix, paths: [prefix], ...fields }), null, prefix);
  });
  const tree = new PrefixTree();
  // Added in reverse order: lists must still end up in `compareRanked` order.
  for (const ranked of rankEntries(entries).reverse()) tree.add(ranked);
  return (path: string, method = 'GET', headers = {}) => {
    const hit = tree.find(0, method, path, headers, null);
    return hit === null ? null : `${hit.ranked.entry.route.name} ${hit.length}`;
  };
}

describe('PrefixTree', () => {
  const find = treeOf(['/', '/api', '/api/', '/api/v1', '/apix', '/a//b', '/files/', '']);
  const cases: [string, string | null][] = [
    ['/api', '/api 4'],
    ['/api/', '/api/ 5'],
    ['/api/x', '/api/ 5'],
    ['/api/v1', '/api/v1 7'],
    ['/api/v1/', '/api/v1 7'],
    ['/api/v1/users', '/api/v1 7'],
    ['/api/v10', '/api/ 5'],
    ['/apix', '/apix 5'],
    ['/apixx', '/ 1'],
    ['/ap', '/ 1'],
    ['/a//b/c', '/a//b 5'],
    ['/a/b', '/ 1'],
    ['/files', '/ 1'],
    ['/files/', '/files/ 7'],
    ['/', '/ 1'],
    ['', ' 0'],
    ['x', null],
  ];
  for (const [path, expected] of cases) {
    it(`finds the longest prefix matching at a segment boundary: ${JSON.stringify(path)} → ${expected}`, () => {
      assert.equal(find(path), expected);
    });
  }

  it('falls back to a shorter prefix when the longer ones refuse the method or headers', () => {
    const find = treeOf([['/api/v1', { methods: ['POST'] }], ['/api/', { headers: { 'x-v': ['1'] } }], '/api']);
    assert.equal(find('/api/v1/x', 'POST'), '/api/v1 7');
    assert.equal(find('/api/v1/x', 'GET', { 'x-v': '1' }), '/api/ 5');
    assert.equal(find('/api/v1/x', 'GET'), '/api 4');
    assert.equal(find('/apiv1', 'GET'), null);
  });

  it('tries entries of the same prefix in rank order: conditions first, then the older route', () => {
    const find = treeOf([
      ['/same', { name: 'older' }],
      ['/same', { name: 'newer' }],
      ['/same', { name: 'get-only', methods: ['GET'] }],
    ]);
    assert.equal(find('/same', 'GET'), 'get-only 5');
    assert.equal(find('/same', 'POST'), 'older 5');
  });
});
