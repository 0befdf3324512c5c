/**
 * The proxies in front of Portcullis (`trusted_ips`) and who the client is. A request whose
 * connection comes from a trusted proxy keeps that proxy's forwarding headers, and its client is
 * the right-most `X-Forwarded-For` entry that is not itself a trusted proxy (nginx's
 * `real_ip_recursive on`): entries to the left of it were written by the client and prove nothing.
 * From any other peer the client is the peer. With no `trusted_ips` (the default) `has` answers
 * false at once, so the common case costs one branch.
 */
import { BlockList, isIP } from 'node:net';
import { parseIpRange } from '../config/ip-range.js';

export interface TrustedProxies {
  /** True when `address` (in the form `peerAddress` gives) is a trusted proxy. */
  has(address: string): boolean;
  /**
   * The client's address for a request that came from the trusted proxy `peer`: walking
   * `X-Forwarded-For` from the right, the first address that is not a trusted proxy; the
   * left-most one when all are; and where an entry is not an address, the last trusted hop.
   */
  clientAddress(forwardedFor: string | string[] | undefined, peer: string): string;
}

/** Builds the list from validated `trusted_ips` entries (load-config refuses bad ones). */
export function createTrustedProxies(entries: readonly string[]): TrustedProxies {
  if (entries.length === 0) return NO_TRUSTED_PROXIES;
  const list = new BlockList();
  for (const entry of entries) {
    const parsed = parseIpRange(entry);
    if (!parsed.ok) throw new Error(`trusted_ips: ${parsed.error}`);
    const { address, prefix, family } = parsed.range;
    list.addSubnet(address, prefix, family);
  }
  const has = (address: string) => address !== '' && list.check(address, address.indexOf(':') === -1 ? 'ipv4' : 'ipv6');
  return {
    has,
    clientAddress(forwardedFor, peer) {
      const chain = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
      if (chain === undefined) return peer;
      let client = peer;
      let end = chain.length;
      while (end > 0) {
        const comma = chain.lastIndexOf(',', end - 1);
        const address = forwardedAddress(chain.slice(comma + 1, end).trim());
        if (address === null) return client;
        client = address;
        if (!has(address)) return address;
        end = comma;
      }
      return client;
    },
  };
}

const NO_TRUSTED_PROXIES: TrustedProxies = Object.freeze({
  has: () => false,
  clientAddress: (_forwardedFor: unknown, peer: string) => peer,
});

/** The socket's peer address, IPv4-mapped IPv6 (`::ffff:10.0.0.1`, on dual-stack listeners) as plain IPv4. */
export function peerAddress(remote: string | undefined): string {
  if (remote === undefined) return '';
  return remote.startsWith('::ffff:') && remote.indexOf('.') !== -1 ? remote.slice(7) : remote;
}

const PORT = /^\d{1,5}$/;

/** One X-Forwarded-For entry as an address: `a.b.c.d`, `a.b.c.d:port`, `v6`, `[v6]` or `[v6]:port`; null otherwise. */
export function forwardedAddress(entry: string): string | null {
  let address = entry;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    const rest = close === -1 ? '' : address.slice(close + 1);
    if (close === -1 || (rest !== '' && !(rest.startsWith(':') && PORT.test(rest.slice(1))))) return null;
    address = address.slice(1, close);
  } else {
    const colon = address.indexOf(':');
    if (colon !== -1 && colon === address.lastIndexOf(':')) {
      if (!PORT.test(address.slice(colon + 1))) return null;
      address = address.slice(0, colon);
    }
  }
  return isIP(address) === 0 || address.includes('%') ? null : peerAddress(address);
}
