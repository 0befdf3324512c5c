/**
 * One `trusted_ips` entry: an IPv4 or IPv6 address, or a CIDR range (`10.0.0.0/8`, `2001:db8::/32`).
 * Parsed once when the configuration loads (a bad entry stops the node there) and again when the
 * proxy builds its trusted-proxy list. IPv4-mapped IPv6 forms (`::ffff:10.0.0.1`, `::ffff:10.0.0.0/104`)
 * are turned into their IPv4 form, because the proxy compares peers in that form.
 */
import { isIP } from 'node:net';

export interface IpRange {
  readonly family: 'ipv4' | 'ipv6';
  readonly address: string;
  /** The prefix length; the full width (32 or 128) for a single address. */
  readonly prefix: number;
}

export type ParsedIpRange = { readonly ok: true; readonly range: IpRange } | { readonly ok: false; readonly error: string };

const MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** Parses `entry`; the error says what is wrong, for "trusted_ips.<i>: …" messages. */
export function parseIpRange(entry: string): ParsedIpRange {
  const slash = entry.indexOf('/');
  let address = slash === -1 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  // isIP accepts zone ids (`fe80::1%eth0`), which a peer address never matches in a range check.
  if (family === 0 || address.includes('%')) return { ok: false, error: `"${entry}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, ::1)` };
  const width = family === 4 ? 32 : 128;
  let prefix = width;
  if (slash !== -1) {
    const text = entry.slice(slash + 1);
    prefix = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
    if (!(prefix >= 0 && prefix <= width)) return { ok: false, error: `"${entry}" has a prefix length outside 0–${width}` };
  }
  const mapped = family === 6 ? MAPPED.exec(address) : null;
  if (mapped !== null && prefix >= 96) {
    address = mapped[1]!;
    return { ok: true, range: { family: 'ipv4', address, prefix: prefix - 96 } };
  }
  return { ok: true, range: { family: family === 4 ? 'ipv4' : 'ipv6', address, prefix } };
}
