/** Opaque pagination: `offset` is base64url of the last id of the previous page; pages go by id. */
import { PortcullisError } from '../errors/portcullis-error.js';

export const DEFAULT_PAGE_SIZE = 100;
export const MAX_PAGE_SIZE = 1000;

export interface Page<T> {
  readonly data: readonly T[];
  /** Pass as `offset` to get the next page; null on the last page. */
  readonly offset: string | null;
}

export function encodeOffset(lastId: string): string {
  return Buffer.from(JSON.stringify([lastId])).toString('base64url');
}

export function decodeOffset(offset: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(offset, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && typeof parsed[0] === 'string' && parsed[0].length <= 128) return parsed[0];
  } catch {
    // fall through to the error below
  }
  throw new PortcullisError('PC_VALIDATION_FAILED', { message: 'offset is not valid', fields: [{ path: 'offset', message: 'is not a valid offset' }] });
}

export function clampPageSize(size: number | undefined): number {
  if (size === undefined) return DEFAULT_PAGE_SIZE;
  return Math.min(Math.max(1, Math.floor(size)), MAX_PAGE_SIZE);
}
