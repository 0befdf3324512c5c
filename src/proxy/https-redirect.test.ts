import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { httpsRedirectLocation } from './https-redirect.js';

describe('httpsRedirectLocation', () => {
  const built: [string, string, number | null, string][] = [
    ['shop.example.com', '/cart?id=1&x=%20', 8443, 'https://shop.example.com:8443/cart?id=1&x=%20'],
    ['shop.example.com:8000', '/', 8443, 'https://shop.example.com:8443/'],
    ['shop.example.com', '/a', 443, 'https://shop.example.com/a'],
    ['shop.example.com:80', '/a', null, 'https://shop.example.com/a'],
    ['Shop.Example.COM', '/Case', 8443, 'https://shop.example.com:8443/Case'],
    ['shop.example.com.', '/', 443, 'https://shop.example.com./'],
    ['203.0.113.7', '/', 8443, 'https://203.0.113.7:8443/'],
    ['203.0.113.7:8000', '/', 8443, 'https://203.0.113.7:8443/'],
    ['[2001:db8::1]', '/', 8443, 'https://[2001:db8::1]:8443/'],
    ['[2001:db8::1]:8000', '/p', 443, 'https://[2001:db8::1]/p'],
    ['internal_host', '/', 443, 'https://internal_host/'],
    ['localhost', '//evil.example/x', 8443, 'https://localhost:8443//evil.example/x'],
  ];
  for (const [host, target, port, location] of built) {
    it(`sends ${host} ${target} to ${location}`, () => assert.equal(httpsRedirectLocation(host, target, port), location));
  }

  const refused: [string | undefined, string, string][] = [
    [undefined, '/', 'no Host'],
    ['', '/', 'an empty Host'],
    ['evil.example/x', '/', 'a Host with a path'],
    ['user@evil.example', '/', 'a Host with userinfo'],
    ['shop.example.com@evil.example', '/', 'a Host that hides another host behind @'],
    ['evil.example\\shop', '/', 'a Host with a backslash'],
    ['shop example', '/', 'a Host with a space'],
    ['shop.example.com:abc', '/', 'a Host with a port that is not a number'],
    ['shop.example.com:123456', '/', 'a Host with a port over five digits'],
    ['shop.example.com:', '/', 'a Host with an empty port'],
    ['[not-an-ip]', '/', 'brackets around something that is not IPv6'],
    ['[2001:db8::1', '/', 'an unclosed bracket'],
    ['-shop.example', '/', 'a label starting with a hyphen'],
    ['shop..example', '/', 'an empty label'],
    [`${'a'.repeat(64)}.example`, '/', 'a label over 63 characters'],
    [`${'a.'.repeat(130)}example`, '/', 'a name over 253 characters'],
    ['shöp.example', '/', 'a non-ASCII name'],
    ['shop.example.com', 'http://evil.example/', 'a target that is not origin-form'],
    ['shop.example.com', '', 'an empty target'],
  ];
  for (const [host, target, what] of refused) {
    it(`builds nothing for ${what}`, () => assert.equal(httpsRedirectLocation(host, target, 8443), null));
  }
});
