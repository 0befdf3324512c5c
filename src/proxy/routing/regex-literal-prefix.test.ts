import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileRoutePattern } from '../../entities/route-pattern.js';
import { regexLiteralPrefix } from './regex-literal-prefix.js';
import { randomPath } from '../testing/random-routes.js';
import { seededRandom } from '../testing/seeded-random.js';

describe('regexLiteralPrefix', () => {
  // [source, prefix, a path the regex matches (it must start with the prefix)]
  const cases: [string, string, string][] = [
    ['/items/\\d+$', '/items/', '/items/42'],
    ['/api/v\\d+', '/api/v', '/api/v2'],
    ['/files', '/files', '/files..'],
    ['/files?/x', '/file', '/file/x'],
    ['/ab*', '/a', '/a'],
    ['/ab+c', '/a', '/abbc'],
    ['/ab{0,2}c', '/a', '/ac'],
    ['/x?', '/', '/'],
    ['/a|/b', '', '/b'],
    ['/(users|items)/', '', '/items/'],
    ['/[|]x', '', '/|x'],
    ['/a.b', '/a', '/axb'],
    ['/a\\.b', '/a', '/a.b'],
    ['(?i)/api', '', '/API'],
    ['/api(?i)x', '/api', '/apiX'],
    ['^/a', '', '/a'],
    ['/A-b_c/', '/A-b_c/', '/A-b_c/d'],
    ['.*', '', '/anything'],
    ['', '', '/'],
  ];
  for (const [source, prefix, matching] of cases) {
    it(`gives ${JSON.stringify(prefix)} for ${JSON.stringify(source)}, a prefix of every path it matches`, () => {
      assert.equal(regexLiteralPrefix(source), prefix);
      const regex = compileRoutePattern(source);
      assert.ok(regex.test(Buffer.from(matching, 'latin1')), `the example ${matching} must match ${source}`);
      assert.ok(matching.startsWith(prefix));
    });
  }

  it('never skips a path RE2 matches (seeded random paths against quantified, grouped and plain patterns)', () => {
    const sources = ['/api', '/api/v\\d+', '/ap+i', '/apix?', '/files?/x', '/(api|files)', '/a|/files', '/users/[0-9]+', '/x*', '/42{1,2}', '/v1/users/?$'];
    for (const seed of [11, 12, 13]) {
      const random = seededRandom(seed);
      let matched = 0;
      for (let i = 0; i < 3000; i++) {
        const path = randomPath(random);
        for (const source of sources) {
          if (!compileRoutePattern(source).test(Buffer.from(path, 'latin1'))) continue;
          matched++;
          assert.ok(path.startsWith(regexLiteralPrefix(source)), `seed ${seed}: ${path} matches ${source}`);
        }
      }
      assert.ok(matched > 1000, `seed ${seed}: only ${matched} matches drawn`);
    }
  });
});
