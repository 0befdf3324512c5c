/**
 * The shape of every Admin API listing: `{data, offset, next}`. `offset` is the store's opaque
 * cursor; `next` is the path of the next page with the same `size`, so a client can follow it
 * without building URLs. Both are null on the last page.
 */
import type { FastifyRequest } from 'fastify';
import { DEFAULT_PAGE_SIZE, type Page } from '../store/pagination.js';
import { parseTagFilter, type TagFilter } from '../store/tag-filter.js';

/** A validated listing query (see `ListQuery`). */
export interface PageQuery {
  readonly size?: number;
  readonly offset?: string;
  /** Only on listings of tagged entities. */
  readonly tags?: string;
}

/** The JSON body of a listing. */
export interface ListBody<T> {
  readonly data: readonly T[];
  readonly offset: string | null;
  readonly next: string | null;
}

/** The store's list options for a validated query; a `tags` filter (TaggedListQuery) is parsed, 400 when malformed. */
export function pageOptions(query: PageQuery): { size: number; offset?: string; tags?: TagFilter } {
  return {
    size: query.size ?? DEFAULT_PAGE_SIZE,
    ...(query.offset ? { offset: query.offset } : {}),
    ...(query.tags !== undefined ? { tags: parseTagFilter(query.tags) } : {}),
  };
}

/** The request path without its query string, as the client sent it. */
export function requestPath(request: FastifyRequest): string {
  const q = request.url.indexOf('?');
  return q === -1 ? request.url : request.url.slice(0, q);
}

/** Builds the listing body of `page`, mapping each item through `view` (e.g. hiding fields). */
export function listBody<T, V = T>(page: Page<T>, request: FastifyRequest, size: number, view?: (item: T) => V): ListBody<V> {
  const data = view ? page.data.map(view) : (page.data as readonly unknown[] as readonly V[]);
  return { data, offset: page.offset, next: page.offset === null ? null : nextLink(request, page.offset, size) };
}

/**
 * The next page's link: the same path and every query parameter of this request (filters such as
 * `status`, `issuer`, `tags` …, repeated ones kept, in order), with `offset` and `size` set, so
 * following `next` never widens a filtered listing.
 */
export function nextLink(request: FastifyRequest, offset: string, size: number): string {
  const q = request.url.indexOf('?');
  const params = new URLSearchParams(q === -1 ? '' : request.url.slice(q + 1));
  params.delete('offset');
  params.delete('size');
  const kept = params.toString();
  return `${requestPath(request)}?${kept ? `${kept}&` : ''}offset=${encodeURIComponent(offset)}&size=${size}`;
}
