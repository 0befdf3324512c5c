import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { literalStart, regexShadowing } from './regex-shadowing.js';
import type { PlannedEntity } from './import-plan.js';

const route = (label: string, paths: string[], hosts: string[] = []): PlannedEntity => ({
  kind: 'route',
  path: `routes[${label}]`,
  label,
  id: null,
  input: { paths, hosts },
  refs: {},
});

describe('regexShadowing: regex paths a plain prefix of another route takes first here (not in Kong)', () => {
  const cases: { name: string; routes: PlannedEntity[]; reported: string[] }[] = [
    { name: 'a regex under a prefix', routes: [route('list', ['/orders']), route('one', ['~/orders/[0-9]+$'])], reported: ['routes[one].paths[0]'] },
    {
      name: 'a prefix with a trailing slash',
      routes: [route('list', ['/orders/']), route('one', ['~/orders/(?<id>\\d+)'])],
      reported: ['routes[one].paths[0]'],
    },
    { name: 'the root prefix covers every regex', routes: [route('all', ['/']), route('one', ['~/x/\\d+'])], reported: ['routes[one].paths[0]'] },
    { name: 'a regex beside, not under, the prefix', routes: [route('list', ['/orders']), route('v2', ['~/v2/orders/[0-9]+$'])], reported: [] },
    { name: 'a prefix only up to a segment boundary', routes: [route('list', ['/order']), route('one', ['~/orders/[0-9]+$'])], reported: [] },
    { name: 'routes on different hosts', routes: [route('list', ['/orders'], ['a.test']), route('one', ['~/orders/\\d+'], ['b.test'])], reported: [] },
    { name: 'the same route', routes: [route('both', ['/orders', '~/orders/\\d+'])], reported: [] },
    { name: 'a regex starting with a metacharacter', routes: [route('list', ['/orders']), route('any', ['~.*/orders'])], reported: [] },
  ];
  for (const c of cases) {
    it(`${c.reported.length ? 'reports' : 'is silent about'} ${c.name}`, () => {
      const found = regexShadowing(c.routes);
      assert.deepEqual(
        found.map((f) => f.path),
        c.reported,
      );
      for (const f of found) assert.equal(f.skipped, false, 'imported as written');
    });
  }

  it('takes the literal start of a regex up to its first metacharacter', () => {
    assert.equal(literalStart('/orders/(?<id>[0-9]+)$'), '/orders/');
    assert.equal(literalStart('/a\\.b'), '/a');
    assert.equal(literalStart('.*'), '');
  });
});
