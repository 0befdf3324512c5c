/** SNI names: what is accepted (and how it is stored) and what is refused, each with its own reason. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeSniName, sniNameProblem } from './sni-name.js';

const label63 = 'a'.repeat(63);

describe('SNI names', () => {
  const good: [string, string][] = [
    ['example.com', 'example.com'],
    ['API.Example.COM', 'api.example.com'],
    ['*.example.com', '*.example.com'],
    ['*.Example.com', '*.example.com'],
    ['*.internal', '*.internal'],
    ['localhost', 'localhost'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['a-b.c-d.test', 'a-b.c-d.test'],
    ['3com.example', '3com.example'],
    [`${label63}.test`, `${label63}.test`],
    [[label63, label63, label63, 'a'.repeat(61)].join('.'), [label63, label63, label63, 'a'.repeat(61)].join('.')],
  ];
  for (const [name, stored] of good) {
    it(`accepts ${name.length > 40 ? `a name of ${name.length} characters` : name}, stored as ${stored.length > 40 ? 'given' : stored}`, () => {
      assert.equal(sniNameProblem(name), null);
      assert.equal(normalizeSniName(name), stored);
    });
  }

  const bad: [string, string, RegExp][] = [
    ['empty', '', /must not be empty/],
    ['254 characters', [label63, label63, label63, 'a'.repeat(62)].join('.'), /longer than 253/],
    ['a label of 64 characters', `${'a'.repeat(64)}.test`, /label longer than 63/],
    ['non-ASCII', 'bücher.example', /non-ASCII.*punycode/],
    ['a port', 'example.com:443', /must not carry a port/],
    ['an IPv4 address', '10.0.0.1', /IP address/],
    ['an IPv6 address', '::1', /IP address/],
    ['a bracketed IPv6 address', '[2001:db8::1]', /IP address/],
    ['an all-numeric last label', 'host.123', /all-numeric label/],
    ['a trailing dot', 'example.com.', /must not end with a dot/],
    ['a leading dot', '.example.com', /empty label/],
    ['two dots', 'a..example.com', /empty label/],
    ['a bare *', '*', /bare \*/],
    ['a wildcard in the middle', 'a.*.example.com', /one wildcard, as its whole leftmost label/],
    ['a rightmost wildcard', 'example.*', /one wildcard, as its whole leftmost label/],
    ['a partial-label wildcard', 'w*.example.com', /one wildcard, as its whole leftmost label/],
    ['two wildcards', '*.*.example.com', /one wildcard, as its whole leftmost label/],
    ['a wildcard with nothing after it', '*.', /must not end with a dot/],
    ['an underscore', 'my_host.example.com', /only letters, digits, hyphens and dots/],
    ['a space', 'my host.example.com', /only letters, digits, hyphens and dots/],
    ['a control character', 'host\u0000.example.com', /only letters, digits, hyphens and dots/],
    ['a leading hyphen', '-host.example.com', /starts or ends with a hyphen/],
    ['a trailing hyphen', 'host-.example.com', /starts or ends with a hyphen/],
    ['a path', 'example.com/x', /only letters, digits, hyphens and dots/],
  ];
  for (const [what, name, problem] of bad) {
    it(`refuses ${what}`, () => assert.match(sniNameProblem(name) ?? 'accepted', problem));
  }
});
