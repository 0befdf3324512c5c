import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileEntry } from '../route-entry.js';
import { createEntityFactory } from '../testing/entities.js';
import { ExactHostIndex, portless } from './exact-host-index.js';
import { rankEntries } from '../testing/ranked-entries.js';

const make = createEntityFactory();

describe('portless', () => {
  const cases: [string, string][] = [
    ['example.com', 'example.com'],
    ['example.com:8080', 'example.com'],
    ['[::1]', '[::1]'],
    ['[::1]:8443', '[::1]'],
    ['', ''],
  ];
  for (const [host, expected] of cases) it(`${JSON.stringify(host)} → ${JSON.stringify(expected)}`, () => assert.equal(portless(host), expected));
});

describe('ExactHostIndex', () => {
  // One host-less-path route per host, named after it; filed as the router files them.
  const hosts = ['a.test', 'a.test:8080', '[::1]', '[::1]:8443', 'b.test:9000'];
  const entries = hosts.map((h) => compileEntry(make.route({ name: h, hosts: [h] }), null, null, portless(h) !== h));
  const index = new ExactHostIndex();
  for (const ranked of rankEntries(entries)) index.add(hosts[ranked.index]!, ranked);

  const names = (withPort: string) => {
    const table = index.find(withPort, portless(withPort));
    if (table === undefined) return null;
    const hit = table.find(0, 'GET', '/', {}, null);
    return hit === null ? null : hit.ranked.entry.route.name;
  };
  const cases: [string, string | null, string][] = [
    ['a.test', 'a.test', 'a host without port'],
    ['a.test:9090', 'a.test', 'a port with no table of its own falls to the bare host'],
    ['a.test:8080', 'a.test:8080', 'the port-specific entry first in the port table'],
    ['[::1]:8443', '[::1]:8443', 'an IPv6 literal with port'],
    ['[::1]', '[::1]', 'an IPv6 literal'],
    ['b.test:9000', 'b.test:9000', 'a port-only host'],
    ['b.test', null, 'a host named only with a port does not match without it'],
    ['b.test:9001', null, '… nor on another port'],
    ['c.test', null, 'an unknown host'],
  ];
  for (const [host, expected, why] of cases) {
    it(`${why}: ${host} → ${expected}`, () => assert.equal(names(host), expected));
  }

  it('holds the bare host entries in the port table too (a request on that port falls back to them)', () => {
    const table = index.find('a.test:8080', 'a.test')!;
    const hit = table.find(0, 'POST', '/', {}, null);
    assert.equal(hit?.ranked.entry.route.name, 'a.test:8080');
    assert.equal(index.size, hosts.length);
  });

  // Whatever the order of adds (a build, or updates), a port table holds the bare host's entries.
  for (const order of ['bare host first', 'port host first'] as const) {
    it(`puts the bare host's entries in its port tables whatever the order of adds (${order})`, () => {
      const late = new ExactHostIndex();
      const bare = compileEntry(make.route({ name: 'bare', hosts: ['c.test'], paths: ['/bare'] }), null, '/bare');
      const withPort = compileEntry(make.route({ name: 'port', hosts: ['c.test:81'], paths: ['/port'] }), null, '/port', true);
      const [first, second] = rankEntries([bare, withPort]).sort((a, b) => a.index - b.index);
      const adds: [string, typeof first][] = [
        ['c.test', first],
        ['c.test:81', second],
      ];
      for (const [host, ranked] of order === 'bare host first' ? adds : adds.reverse()) late.add(host, ranked!);
      const found = (host: string, path: string) => late.find(host, portless(host))?.find(0, 'GET', path, {}, null)?.ranked.entry.route.name ?? null;
      assert.equal(found('c.test:81', '/bare'), 'bare');
      assert.equal(found('c.test:81', '/port'), 'port');
      assert.equal(found('c.test', '/port'), null);
      assert.equal(found('c.test:82', '/bare'), 'bare');
    });
  }
});
