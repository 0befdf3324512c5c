/**
 * The close frames the proxy itself sends (RFC 6455 §5.5.1): 1001 going away (shutdown, idle) and
 * 1008 policy violation (the key of the connection was revoked). Towards the client a frame is
 * unmasked (the proxy is its server); towards the upstream it is masked with a fresh random key
 * (the proxy is the upstream's client, and §5.3 makes masking mandatory there).
 */
import { randomBytes } from 'node:crypto';

/** Close codes the proxy sends. */
export const GOING_AWAY = 1001;
export const POLICY_VIOLATION = 1008;

/** A close frame carrying `code` and no reason, masked when it goes to the upstream. */
export function closeFrame(code: number, masked: boolean): Buffer {
  if (!masked) return Buffer.from([0x88, 0x02, code >> 8, code & 0xff]);
  const mask = randomBytes(4);
  return Buffer.from([0x88, 0x82, mask[0]!, mask[1]!, mask[2]!, mask[3]!, (code >> 8) ^ mask[0]!, (code & 0xff) ^ mask[1]!]);
}
