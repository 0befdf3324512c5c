/**
 * The OAuth2 access token of one plugin instance: fetched on first use, shared by every request
 * until shortly before it expires, and fetched once for all the requests that need it at the same
 * moment (single-flight). A request arriving in the last stretch of a token's life still gets it
 * and starts a background fetch, so requests do not wait at each expiry. A failed fetch is not
 * remembered: the next request tries again (one fetch at a time). `drop()` forgets the token when
 * the upstream refused it; a fetch that was already running then no longer fills the cache.
 */

/** A token in use: the header value to send and when to stop sending it (ms since the epoch). */
export interface CachedToken {
  readonly authorization: string;
  /** From here on, a request starts a background fetch. */
  readonly refreshAt: number;
  /** From here on, the token is not sent any more. */
  readonly expiresAt: number;
}

/** What a fetch brings: a token and its lifetime in seconds (if the endpoint said), or null when it failed (the fetcher logs why). */
export type TokenFetcher = () => Promise<{ readonly accessToken: string; readonly expiresIn: number | undefined } | null>;

export interface TokenCacheOptions {
  /** How long before the end of its lifetime a token stops being used (capped at a quarter of the lifetime). */
  readonly marginMs: number;
  /** The clock (ms since the epoch). */
  readonly now: () => number;
}

/** The lifetime of a token whose endpoint gave no `expires_in`. */
export const DEFAULT_TOKEN_LIFETIME_MS = 300_000;

export class TokenCache {
  readonly #fetch: TokenFetcher;
  readonly #options: TokenCacheOptions;
  #token: CachedToken | null = null;
  #inflight: Promise<CachedToken | null> | null = null;
  /** Bumped by drop(): a fetch started before it does not fill the cache. */
  #epoch = 0;

  constructor(fetch: TokenFetcher, options: TokenCacheOptions) {
    this.#fetch = fetch;
    this.#options = options;
  }

  /** The token to send now: at once when one is fresh, else the fetch every caller shares (null: it failed). */
  get(): CachedToken | Promise<CachedToken | null> {
    const now = this.#options.now();
    const token = this.#token;
    if (token !== null && now < token.expiresAt) {
      if (now >= token.refreshAt && this.#inflight === null) void this.#start();
      return token;
    }
    return this.#inflight ?? this.#start();
  }

  /** The token in use (for telling whether a refused request had the current one). */
  current(): CachedToken | null {
    return this.#token;
  }

  /** Forgets the token: the next request fetches a new one. */
  drop(): void {
    this.#token = null;
    this.#inflight = null;
    this.#epoch++;
  }

  #start(): Promise<CachedToken | null> {
    const epoch = this.#epoch;
    const startedAt = this.#options.now();
    const run = this.#fetch().then(
      (fetched) => {
        const token = fetched === null ? null : this.#cached(fetched.accessToken, fetched.expiresIn, startedAt);
        if (epoch === this.#epoch) {
          this.#inflight = null;
          if (token !== null) this.#token = token;
        }
        return token;
      },
      () => {
        if (epoch === this.#epoch) this.#inflight = null;
        return null;
      },
    );
    this.#inflight = run;
    return run;
  }

  /** Lifetimes count from when the request was sent: the token may have been issued a little later, never earlier. */
  #cached(accessToken: string, expiresIn: number | undefined, sentAt: number): CachedToken {
    const lifetime = expiresIn === undefined ? DEFAULT_TOKEN_LIFETIME_MS : expiresIn * 1000;
    const margin = Math.min(this.#options.marginMs, lifetime / 4);
    return Object.freeze({ authorization: `Bearer ${accessToken}`, refreshAt: sentAt + lifetime - 2 * margin, expiresAt: sentAt + lifetime - margin });
  }
}
