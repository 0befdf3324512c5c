/** Turns `expires_at` (RFC 3339) or `expires_in {unit, duration}` into epoch seconds. */
import { PortcullisError } from '../../errors/portcullis-error.js';

const UNIT_SECONDS = { seconds: 1, minutes: 60, hours: 3600, days: 86_400, weeks: 604_800 } as const;

export interface ExpiryInput {
  readonly expires_at?: string | undefined;
  readonly expires_in?: { readonly unit: keyof typeof UNIT_SECONDS; readonly duration: number } | undefined;
}

/**
 * The expiry of a key: the given one, else `defaultTtl` seconds from now (0 = never → null).
 * Refuses both forms at once, and an expiry that is not in the future.
 */
export function resolveExpiry(input: ExpiryInput, nowSeconds: number, defaultTtl: number): number | null {
  if (input.expires_at !== undefined && input.expires_in !== undefined) {
    throw invalid('expires_in', 'give expires_at or expires_in, not both');
  }
  if (input.expires_at !== undefined) {
    const ms = Date.parse(input.expires_at);
    if (!Number.isFinite(ms)) throw invalid('expires_at', 'must be an RFC 3339 date-time');
    const at = Math.floor(ms / 1000);
    if (at <= nowSeconds) throw invalid('expires_at', 'must be in the future');
    return at;
  }
  if (input.expires_in !== undefined) return nowSeconds + UNIT_SECONDS[input.expires_in.unit] * input.expires_in.duration;
  return defaultTtl > 0 ? nowSeconds + defaultTtl : null;
}

function invalid(path: string, message: string): PortcullisError {
  return new PortcullisError('PC_VALIDATION_FAILED', { message: `${path} ${message}`, fields: [{ path, message }] });
}
