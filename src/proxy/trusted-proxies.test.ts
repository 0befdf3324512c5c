import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTrustedProxies, forwardedAddress, peerAddress } from './trusted-proxies.js';

describe('createTrustedProxies', () => {
  const trusted = createTrustedProxies(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '::1', '::ffff:172.16.0.0/108']);

  it('matches addresses and ranges of both families, and IPv4-mapped entries as IPv4', () => {
    for (const address of ['10.1.2.3', '192.168.1.7', '2001:db8::42', '::1', '172.16.5.5']) assert.equal(trusted.has(address), true, address);
    for (const address of ['11.0.0.1', '192.168.1.8', '2001:db9::1', '::2', '172.32.0.1', '', 'garbage']) assert.equal(trusted.has(address), false, address);
  });

  it('trusts nothing when no entry is configured', () => {
    const none = createTrustedProxies([]);
    assert.equal(none.has('127.0.0.1'), false);
    assert.equal(none.clientAddress('1.2.3.4', '127.0.0.1'), '127.0.0.1');
  });

  it('takes the right-most X-Forwarded-For entry that is not a trusted proxy (real_ip_recursive)', () => {
    const cases: [string | undefined, string][] = [
      [undefined, '10.0.0.1'],
      ['203.0.113.9', '203.0.113.9'],
      ['6.6.6.6, 203.0.113.9', '203.0.113.9'],
      ['6.6.6.6, 203.0.113.9, 10.0.0.2', '203.0.113.9'],
      ['6.6.6.6,203.0.113.9,10.0.0.2,10.0.0.3', '203.0.113.9'],
      ['10.0.0.5, 10.0.0.2', '10.0.0.5'],
      ['2001:db8::7, 2a00:1450::1', '2a00:1450::1'],
      ['[2a00:1450::1]:443, 10.0.0.2', '2a00:1450::1'],
      ['203.0.113.9:5555', '203.0.113.9'],
      ['::ffff:203.0.113.9', '203.0.113.9'],
      ['6.6.6.6, unknown, 10.0.0.2', '10.0.0.2'],
      ['203.0.113.9, not-an-ip', '10.0.0.1'],
      ['', '10.0.0.1'],
    ];
    for (const [chain, client] of cases) assert.equal(trusted.clientAddress(chain, '10.0.0.1'), client, String(chain));
  });
});

describe('peerAddress', () => {
  it('shows IPv4-mapped peers as IPv4 and leaves others as they are', () => {
    assert.equal(peerAddress('::ffff:127.0.0.1'), '127.0.0.1');
    assert.equal(peerAddress('127.0.0.1'), '127.0.0.1');
    assert.equal(peerAddress('::1'), '::1');
    assert.equal(peerAddress(undefined), '');
  });
});

describe('forwardedAddress', () => {
  it('reads bare and bracketed addresses with or without a port, and nothing else', () => {
    assert.equal(forwardedAddress('1.2.3.4'), '1.2.3.4');
    assert.equal(forwardedAddress('1.2.3.4:80'), '1.2.3.4');
    assert.equal(forwardedAddress('::1'), '::1');
    assert.equal(forwardedAddress('[::1]'), '::1');
    assert.equal(forwardedAddress('[::1]:8080'), '::1');
    for (const bad of ['unknown', '1.2.3.4:x', '[::1', '[::1]x', 'fe80::1%eth0', '_hidden', '"1.2.3.4"', '']) assert.equal(forwardedAddress(bad), null, bad);
  });
});
