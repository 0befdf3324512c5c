/**
 * The unit the failure limiter counts a client address in: an IPv4 address as it is, an IPv6
 * address by its /64 prefix. One IPv6 subscriber usually holds a whole /64 (2^64 addresses), so
 * counting single IPv6 addresses would give that client an unlimited supply of fresh counters.
 * An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, how a dual-stack listener reports IPv4
 * clients) counts as the IPv4 address. Pure and allocation-light: IPv4 input is returned as is.
 */
import { isIP } from 'node:net';

/** The text a valid address can reach at most (a full IPv6 address with an embedded IPv4 tail). */
const MAX_ADDRESS_LENGTH = 45;

/** The counting unit of a client address: `192.0.2.1`, or `2001:db8:0:1::/64` for IPv6. */
export function addressGroup(address: string): string {
  const zone = address.indexOf('%');
  const plain = zone === -1 ? address : address.slice(0, zone);
  const family = isIP(plain);
  if (family === 4) return plain;
  // Not an address (the proxy gives one, this is a safety net): bounded, so it cannot grow the tables.
  if (family !== 6) return plain.slice(0, MAX_ADDRESS_LENGTH);
  const lower = plain.toLowerCase();
  if (lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4) return lower.slice(7);
  return `${firstFourGroups(lower).join(':')}::/64`;
}

/** The first four 16-bit groups of a valid IPv6 address, in canonical hex (no leading zeros). */
function firstFourGroups(address: string): string[] {
  const gap = address.indexOf('::');
  const head = gap === -1 ? address : address.slice(0, gap);
  const tail = gap === -1 ? '' : address.slice(gap + 2);
  const headGroups = head === '' ? [] : head.split(':');
  // An embedded IPv4 tail (`64:ff9b::192.0.2.1`) stands for two groups.
  const tailCount = tail === '' ? 0 : tail.split(':').reduce((n, part) => n + (part.includes('.') ? 2 : 1), 0);
  const groups = [...headGroups, ...Array<string>(Math.max(0, 8 - headGroups.length - tailCount)).fill('0')];
  return groups.slice(0, 4).map((group) => parseInt(group, 16).toString(16));
}
