import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileRoutePattern, routePatternProblem } from './route-pattern.js';
import { routesDefinition, type Route } from './routes.js';

describe('regex route paths on RE2', () => {
  it('accepts the patterns routes use', () => {
    for (const source of ['/items/\\d+$', '/(a|b)/[^/]+', '/v[0-9]+/users', '/files', '/(?i)caps', '/x{2,5}']) {
      assert.equal(routePatternProblem(source), null, source);
    }
  });

  it('accepts patterns that backtrack catastrophically in V8: RE2 runs them in linear time', () => {
    for (const source of ['/(a+)+$', '/(a|aa)*b', '/(\\w+\\s?)*$']) assert.equal(routePatternProblem(source), null, source);
  });

  it('refuses lookarounds, backreferences and invalid syntax with a message naming RE2', () => {
    for (const source of ['/(?=a)', '/(?!a)b', '/(?<=a)b', '/(?<!a)b', '/(a)\\1', '/(?<n>a)\\k<n>', '/(unclosed', 'a)|(b']) {
      assert.match(routePatternProblem(source) ?? 'accepted', /linear-time engine \(RE2\)/, source);
    }
  });

  it('anchors at the start of the path, even when an alternation would escape the group', () => {
    const re = compileRoutePattern('/a|/b');
    re.lastIndex = 0;
    assert.equal(re.test('/x/b'), false);
    re.lastIndex = 0;
    assert.equal(re.test('/b/x'), true);
    assert.equal(re.lastIndex, 2);
  });

  it('names the refused path in the route check (paths.<i>)', () => {
    const route = { ...routesDefinition.defaults, paths: ['/plain', '~/ok/\\d+', '~/(?=x)'], hosts: [], methods: [], headers: {} } as unknown as Route;
    const errors = routesDefinition.check!(route);
    assert.deepEqual(
      errors.map((e) => e.path),
      ['paths.2'],
    );
    assert.match(errors[0]!.message, /lookarounds and backreferences are not supported/);
  });
});
