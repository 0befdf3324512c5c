import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileEntry } from '../route-entry.js';
import { createEntityFactory } from '../testing/entities.js';
import { rankEntries } from '../testing/ranked-entries.js';
import { WildcardHostIndex } from './wildcard-host-index.js';

const make = createEntityFactory();

describe('WildcardHostIndex', () => {
  // Route i has pattern i and path `/`; `/deep` routes rank before every `/` route (longer prefix).
  const patterns: [string, string][] = [
    ['*.a.test', '/'],
    ['*.test', '/'],
    ['a.*', '/'],
    ['*.a.test:8080', '/'],
    ['api.*:8443', '/'],
    ['*.test', '/deep'],
  ];
  const entries = patterns.map(([host, path]) => compileEntry(make.route({ name: `${host} ${path}`, hosts: [host], paths: [path] }), null, path));
  const index = new WildcardHostIndex();
  for (const ranked of rankEntries(entries)) index.add(patterns[ranked.index]![0], ranked);
  const find = (hostname: string, port: string, path = '/x') => index.find(0, hostname, port, 'GET', path, {}, null)?.ranked.entry.route.name ?? null;

  const cases: [string, string, string, string | null, string][] = [
    ['x.a.test', '', '/x', '*.a.test /', 'the older of two matching patterns at equal path rank'],
    ['x.b.test', '', '/x', '*.test /', 'a suffix pattern'],
    ['a.test', '', '/x', '*.test /', 'a host equal to the stem does not match it (`*.a.test` needs a label before)'],
    ['a.com', '', '/x', 'a.* /', 'a prefix pattern'],
    ['a.', '', '/x', null, 'nothing after the prefix stem'],
    ['.test', '', '/x', null, 'nothing before the suffix stem'],
    ['x.a.test', '', '/deep/1', '*.test /deep', 'the longer path wins across patterns, whichever pattern is more specific'],
    ['x.a.test', '8080', '/x', '*.a.test /', 'a pattern without port matches any port, and is older'],
    ['api.example', '8443', '/x', 'api.*:8443 /', 'a pattern with port on that port'],
    ['api.example', '8444', '/x', null, 'a pattern with port on another port'],
    ['api.example', '', '/x', null, 'a pattern with port without one'],
    ['other.org', '', '/x', null, 'no pattern'],
  ];
  for (const [hostname, port, path, expected, why] of cases) {
    it(`${why}: ${hostname}${port ? ':' + port : ''} ${path} → ${expected}`, () => assert.equal(find(hostname, port, path), expected));
  }

  it('finds a port-specific pattern when the pattern without port is not there', () => {
    const only = new WildcardHostIndex();
    const entry = compileEntry(make.route({ name: 'p', hosts: ['*.p.test:8080'] }), null, null);
    only.add('*.p.test:8080', rankEntries([entry])[0]!);
    assert.equal(only.find(0, 'x.p.test', '8080', 'GET', '/', {}, null)?.ranked.entry.route.name, 'p');
    assert.equal(only.find(0, 'x.p.test', '8081', 'GET', '/', {}, null), null);
  });
});
