/**
 * Whether a request's `Host` names this machine's loopback interface: `localhost`, a name under
 * `.localhost` (RFC 6761 reserves it for loopback; browsers never ask DNS for it), an IPv4
 * address of 127.0.0.0/8 in dotted decimal, or `[::1]`; each with an optional port, in any
 * case. A DNS-rebinding page reaches a loopback listener under its own name (`evil.example`,
 * `localhost.evil.example`, `127.0.0.1.nip.io`), which is refused. Browsers send Host in this
 * canonical form; other spellings of loopback addresses (`127.1`, `[0::1]`) are refused too.
 */

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const LOOPBACK_AUTHORITY = new RegExp(`^(?:localhost|(?:${LABEL}\\.)+localhost|127(?:\\.${OCTET}){3}|\\[::1\\])(?::[0-9]{1,5})?$`, 'i');
/** Longer than any name above with a port; refused before the regex runs. */
const MAX_LENGTH = 260;

/** True when `host` (a `Host` header value) names the loopback interface. */
export function isLoopbackAuthority(host: string | undefined): boolean {
  return host !== undefined && host.length <= MAX_LENGTH && LOOPBACK_AUTHORITY.test(host);
}
