import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addressGroup } from './address-group.js';

describe('addressGroup', () => {
  const cases: Array<[string, string, string]> = [
    ['an IPv4 address as it is', '192.0.2.1', '192.0.2.1'],
    ['an IPv4-mapped IPv6 address as its IPv4 address', '::ffff:192.0.2.1', '192.0.2.1'],
    ['an IPv4-mapped address in upper case', '::FFFF:192.0.2.1', '192.0.2.1'],
    ['the IPv6 loopback by its /64', '::1', '0:0:0:0::/64'],
    ['a full IPv6 address by its /64', '2001:0db8:0000:0001:0000:0000:0000:0042', '2001:db8:0:1::/64'],
    ['a compressed IPv6 address by its /64', '2001:db8:0:1::42', '2001:db8:0:1::/64'],
    ['a compression inside the prefix', '2001:db8::1:2:3', '2001:db8:0:0::/64'],
    ['a compression at the end', '2001:db8:1::', '2001:db8:1:0::/64'],
    ['mixed case and leading zeros alike', '2001:DB8:00AB:0001::1', '2001:db8:ab:1::/64'],
    ['an IPv6 address with an embedded IPv4 tail', '64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
    ['a link-local address without its zone', 'fe80::1%eth0', 'fe80:0:0:0::/64'],
  ];
  for (const [name, input, group] of cases) it(`counts ${name}`, () => assert.equal(addressGroup(input), group));

  it('puts every address of one /64 in one group, and a neighbouring /64 in another', () => {
    const a = addressGroup('2001:db8:0:1:aaaa:bbbb:cccc:dddd');
    assert.equal(addressGroup('2001:db8:0:1::ffff'), a);
    assert.notEqual(addressGroup('2001:db8:0:2::1'), a);
  });

  it('bounds the length of a value that is not an address', () => {
    assert.equal(addressGroup('x'.repeat(10_000)).length, 45);
    assert.equal(addressGroup(''), '');
  });
});
