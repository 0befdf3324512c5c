/**
 * The secret resolver: turns vault references into values for every part of a node, with one
 * cache per reference that follows the vault's settings (vault-settings.ts):
 *
 * - a value is used for `ttl` seconds, then fetched again by the background rotator while the
 *   reference is in use (declared with `setUses`), and listeners learn which references changed;
 * - concurrent resolutions of one reference share one backend call (single flight), and every call
 *   is bounded by the vault's `timeout`, so a hanging backend never blocks anyone for longer;
 * - a miss is remembered for `neg_ttl`;
 * - when the backend fails or the secret disappears, the last good value keeps serving for
 *   `resurrect_ttl` (status `stale`), then it is dropped (status `failing`) and its users fail closed.
 *
 * Failures are PortcullisErrors whose message names the reference, never a value. A resolved value
 * is literal: it is never resolved again, whatever it looks like.
 */
import type { Logger } from 'pino';
import { PortcullisError } from '../errors/portcullis-error.js';
import type { ErrorCode } from '../errors/catalogue.js';
import { findFieldReference, parseVaultReference, type VaultReference } from './reference.js';
import { VaultBackendError, type VaultBackend, type VaultBackendFactory } from './vault-backend.js';
import { checkReferenceSettings, referenceSettings, REFERENCE_SETTING_OPTIONS, type VaultSettings } from './vault-settings.js';
import { untilAborted } from './until-aborted.js';
import { createVaultSet, type VaultDefinition, type VaultSet } from './vault-set.js';

export type ReferenceStatus = 'resolved' | 'stale' | 'failing' | 'unresolvable';

/** One reference as the health API shows it: never a value. */
export interface ReferenceHealth {
  readonly reference: string;
  readonly vault: string;
  readonly status: ReferenceStatus;
  /** Where it is used: `config:pg_password`, `plugins/<id>:config.password`, `vaults/<prefix>:config.token` … */
  readonly used_by: readonly string[];
  /** Epoch seconds of the last successful fetch, or null. */
  readonly last_refresh: number | null;
  /** Epoch seconds of the next scheduled fetch, or null when none is scheduled. */
  readonly next_refresh: number | null;
  readonly last_error: { readonly code: ErrorCode; readonly message: string; readonly at: number } | null;
  /** The version read, when the backend reports one. */
  readonly version: string | null;
}

export interface SecretResolverOptions {
  readonly logger: Logger;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly backends: readonly VaultBackendFactory[];
  /** Largest value accepted, in bytes (`vault_max_value_size`). */
  readonly maxValueSize: number;
  /** Milliseconds since the epoch; tests move it. */
  readonly clock?: () => number;
  /** Milliseconds between rotator passes (default 1000). */
  readonly tickInterval?: number;
  /** Called after each backend call, for metrics. */
  readonly onResolution?: (vault: string, outcome: 'ok' | ErrorCode) => void;
}

export interface ResolveOptions {
  /** Fetch now, ignoring the cache's freshness (rotation on failure). Shares a call already in flight. */
  readonly fresh?: boolean;
}

export interface SecretResolver {
  /** A problem with a reference that no backend call can fix (malformed, unknown vault, option refused), or null. */
  check(reference: string): string | null;
  /** The value of a whole reference. Rejects with PC_VAULT_* naming the reference. */
  resolve(reference: string, options?: ResolveOptions): Promise<string>;
  /** A field value with its reference (whole or embedded once) replaced by its value; a literal as it is. */
  resolveField(value: string, options?: ResolveOptions): Promise<string>;
  /** Declares the references `source` uses now (reference → where), replacing its previous declaration. */
  setUses(source: string, uses: ReadonlyMap<string, readonly string[]>): void;
  /** Registers a listener called with the references whose value changed (or disappeared). */
  onChange(listener: (references: ReadonlySet<string>) => void): () => void;
  /** Replaces the configured vaults; a vault whose definition changed has its references fetched again. Returns the prefixes added, changed or removed. */
  setVaults(definitions: readonly VaultDefinition[]): ReadonlySet<string>;
  readonly vaults: VaultSet;
  health(): ReferenceHealth[];
  /**
   * Marks the references of a vault (of one resource when given) due and refreshes those in use
   * now: a write to the built-in store, or a vault event, rotates at once instead of after `ttl`.
   */
  expire(prefix: string, resource?: string): Promise<void>;
  /** Runs one rotator pass now (tests; the timer calls it). */
  refreshDue(): Promise<void>;
  /** Starts the background rotator. */
  start(): void;
  close(): Promise<void>;
}

interface Entry {
  readonly reference: string;
  readonly parsed: VaultReference;
  value: string | undefined;
  version: string | null;
  everResolved: boolean;
  lastSuccess: number | null;
  /** When the reference should be fetched again (ms). */
  refreshAt: number;
  /** First failure since the last success (ms), or null. */
  failingSince: number | null;
  /** Remembered as missing until refreshAt. */
  missing: boolean;
  lastError: { code: ErrorCode; message: string; at: number } | null;
  inflight: Promise<string> | undefined;
}

const KIND_CODES: Record<VaultBackendError['kind'], ErrorCode> = {
  not_found: 'PC_VAULT_NOT_FOUND',
  unauthorized: 'PC_VAULT_UNAUTHORIZED',
  unavailable: 'PC_VAULT_UNAVAILABLE',
};

/** Most cached references; beyond it, references not in use are resolved without being kept. */
const MAX_ENTRIES = 50_000;

export function createSecretResolver(options: SecretResolverOptions): SecretResolver {
  const { logger } = options;
  const clock = options.clock ?? Date.now;
  const entries = new Map<string, Entry>();
  const uses = new Map<string, ReadonlyMap<string, readonly string[]>>();
  const listeners = new Set<(references: ReadonlySet<string>) => void>();
  const vaults = createVaultSet({ logger, env: options.env, backends: options.backends });
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const inUse = (reference: string) => {
    for (const declared of uses.values()) if (declared.has(reference)) return true;
    return false;
  };

  const notify = (changed: ReadonlySet<string>) => {
    if (changed.size === 0) return;
    for (const listener of listeners) {
      try {
        listener(changed);
      } catch (err) {
        logger.error({ err: (err as Error).message }, 'a secret change listener failed');
      }
    }
  };

  /** The static problem of a parsed reference, or null. */
  const problemOf = (parsed: VaultReference | null, reference: string): { code: ErrorCode; message: string } | null => {
    if (!parsed) return { code: 'PC_VAULT_UNRESOLVED', message: `${shorten(reference)} is not a valid vault reference` };
    const vault = vaults.get(parsed.prefix);
    if (!vault) return { code: 'PC_VAULT_UNKNOWN', message: `${reference}: no vault has the prefix "${parsed.prefix}"` };
    if (parsed.version !== null && !vault.factory.supportsVersions) {
      return { code: 'PC_VAULT_UNRESOLVED', message: `${reference}: the ${vault.factory.name} backend has no versions` };
    }
    for (const option of Object.keys(parsed.options)) {
      if (!REFERENCE_SETTING_OPTIONS.includes(option) && !vault.factory.referenceOptions.includes(option)) {
        const accepted = [...REFERENCE_SETTING_OPTIONS, ...vault.factory.referenceOptions].join(', ');
        return {
          code: 'PC_VAULT_UNRESOLVED',
          message: `${reference}: option "${option}" is not accepted by the ${vault.factory.name} backend (accepted: ${accepted})`,
        };
      }
    }
    const settingsProblem = checkReferenceSettings(parsed.options);
    if (settingsProblem) return { code: 'PC_VAULT_UNRESOLVED', message: `${reference}: ${settingsProblem}` };
    return null;
  };

  const settingsOf = (entry: Entry): VaultSettings => {
    const vault = vaults.get(entry.parsed.prefix);
    return referenceSettings(vault?.settings ?? { ttl: 300, neg_ttl: 30, resurrect_ttl: 0, timeout: 5000 }, entry.parsed.options);
  };

  /** Picks the reference's JSON key out of the secret's text. */
  const extract = (entry: Entry, text: string): string => {
    const { key } = entry.parsed;
    if (key === null) return text;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new PortcullisError('PC_VAULT_NOT_FOUND', { message: `${entry.reference}: the secret is not JSON, so it has no key "${key}"` });
    }
    const value =
      json !== null && typeof json === 'object' && !Array.isArray(json) && Object.hasOwn(json, key) ? (json as Record<string, unknown>)[key] : undefined;
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    throw new PortcullisError('PC_VAULT_NOT_FOUND', { message: `${entry.reference}: the secret has no text value under key "${key}"` });
  };

  const fetchValue = async (entry: Entry): Promise<{ value: string; version: string | null }> => {
    const vault = vaults.get(entry.parsed.prefix);
    if (!vault) throw new PortcullisError('PC_VAULT_UNKNOWN', { message: `${entry.reference}: no vault has the prefix "${entry.parsed.prefix}"` });
    const backend: VaultBackend = vault.backend();
    const resource = entry.parsed.resource;
    const backendOptions: Record<string, string> = {};
    for (const [k, v] of Object.entries(entry.parsed.options)) if (!REFERENCE_SETTING_OPTIONS.includes(k)) backendOptions[k] = v;
    // A ref'd timer (AbortSignal.timeout's is not): a CLI waiting on a hanging vault must not just exit.
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(), vault.settings.timeout);
    let read;
    try {
      read = await untilAborted(
        backend.read(resource, entry.parsed.version, backendOptions, controller.signal),
        controller.signal,
        () => new VaultBackendError('unavailable', `no answer within ${vault.settings.timeout} ms`),
      );
    } catch (err) {
      if (err instanceof PortcullisError) throw err;
      if (err instanceof VaultBackendError) throw new PortcullisError(KIND_CODES[err.kind], { message: `${entry.reference}: ${err.message}` });
      logger.warn({ reference: entry.reference, err: (err as Error)?.name }, 'a vault backend failed unexpectedly');
      throw new PortcullisError('PC_VAULT_UNAVAILABLE', {
        message: `${entry.reference}: the ${vault.factory.name} backend failed (${(err as Error)?.name ?? 'error'})`,
      });
    } finally {
      clearTimeout(deadline);
    }
    if (typeof read?.value !== 'string') throw new PortcullisError('PC_VAULT_UNAVAILABLE', { message: `${entry.reference}: the backend returned no text` });
    if (Buffer.byteLength(read.value) > options.maxValueSize) {
      throw new PortcullisError('PC_VAULT_VALUE_TOO_LARGE', { message: `${entry.reference}: the secret is larger than ${options.maxValueSize} bytes` });
    }
    return { value: extract(entry, read.value), version: read.version ?? null };
  };

  /** Fetches once (shared by concurrent callers) and updates the entry; returns the value to use. */
  const refresh = (entry: Entry): Promise<string> => {
    entry.inflight ??= (async () => {
      const vaultName = entry.parsed.prefix;
      const settings = settingsOf(entry);
      try {
        const { value, version } = await fetchValue(entry);
        const now = clock();
        // The first value is not a change (its users asked for it and got it); a new value, or a value
        // after a failure its users saw (they failed closed and wait for it), is.
        const changed = entry.value !== value && (entry.everResolved || entry.lastError !== null);
        const hadFailure = entry.failingSince !== null;
        Object.assign(entry, { value, version, everResolved: true, lastSuccess: now, failingSince: null, missing: false, lastError: null });
        entry.refreshAt = now + settings.ttl * 1000;
        options.onResolution?.(vaultName, 'ok');
        if (hadFailure) logger.info({ reference: entry.reference }, 'vault reference resolves again');
        if (changed) notify(new Set([entry.reference]));
        return value;
      } catch (err) {
        const now = clock();
        const failure =
          err instanceof PortcullisError ? err : new PortcullisError('PC_VAULT_UNAVAILABLE', { message: `${entry.reference}: resolution failed` });
        options.onResolution?.(vaultName, failure.code);
        entry.lastError = { code: failure.code, message: failure.message, at: Math.floor(now / 1000) };
        entry.failingSince ??= now;
        const retryIn = Math.min(settings.ttl, settings.neg_ttl) * 1000;
        if (entry.value !== undefined && now < entry.failingSince + settings.resurrect_ttl * 1000) {
          entry.refreshAt = now + retryIn;
          logger.warn({ reference: entry.reference, code: failure.code }, 'vault reference could not be refreshed; serving its last good value');
          return entry.value;
        }
        if (entry.value !== undefined) {
          entry.value = undefined;
          logger.error({ reference: entry.reference, code: failure.code }, 'vault reference failed past its resurrect_ttl; its users now fail');
          notify(new Set([entry.reference]));
        }
        entry.missing = failure.code === 'PC_VAULT_NOT_FOUND';
        entry.refreshAt = now + (entry.missing ? settings.neg_ttl * 1000 : retryIn);
        throw failure;
      } finally {
        entry.inflight = undefined;
      }
    })();
    return entry.inflight;
  };

  const entryFor = (reference: string): Entry => {
    const existing = entries.get(reference);
    if (existing) return existing;
    const parsed = parseVaultReference(reference);
    const problem = problemOf(parsed, reference);
    if (problem) throw new PortcullisError(problem.code, { message: problem.message });
    const entry: Entry = {
      reference,
      parsed: parsed!,
      value: undefined,
      version: null,
      everResolved: false,
      lastSuccess: null,
      refreshAt: 0,
      failingSince: null,
      missing: false,
      lastError: null,
      inflight: undefined,
    };
    if (entries.size < MAX_ENTRIES || inUse(reference)) entries.set(reference, entry);
    return entry;
  };

  const resolve = async (reference: string, resolveOptions: ResolveOptions = {}): Promise<string> => {
    if (closed) throw new PortcullisError('PC_VAULT_UNAVAILABLE', { message: `${reference}: the node is stopping` });
    const entry = entryFor(reference);
    // A fetch in flight may be replacing the value (a rotation on failure): wait for it.
    if (entry.inflight) return entry.inflight;
    const now = clock();
    if (!resolveOptions.fresh && now < entry.refreshAt) {
      if (entry.value !== undefined) return entry.value;
      if (entry.lastError) throw new PortcullisError(entry.lastError.code, { message: entry.lastError.message });
    }
    return refresh(entry);
  };

  const refreshDue = async () => {
    const now = clock();
    const due = [...entries.values()].filter((e) => !e.inflight && now >= e.refreshAt);
    for (const entry of due) {
      if (!inUse(entry.reference)) {
        entries.delete(entry.reference);
        continue;
      }
    }
    await Promise.allSettled(due.filter((e) => entries.has(e.reference)).map((e) => refresh(e)));
  };

  return {
    vaults,
    check(reference) {
      return problemOf(parseVaultReference(reference), reference)?.message ?? null;
    },
    resolve,
    async resolveField(value, resolveOptions) {
      const found = findFieldReference(value);
      if (found.kind === 'none') return value;
      if (found.kind === 'malformed') throw new PortcullisError('PC_VAULT_UNRESOLVED', { message: `the value ${found.problem}` });
      return found.before + (await resolve(found.reference, resolveOptions)) + found.after;
    },
    setUses(source, declared) {
      if (declared.size === 0) uses.delete(source);
      else uses.set(source, new Map(declared));
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    setVaults(definitions) {
      const changedPrefixes = vaults.replace(definitions);
      if (changedPrefixes.size === 0) return changedPrefixes;
      const changed = new Set<string>();
      for (const entry of entries.values()) {
        if (!changedPrefixes.has(entry.parsed.prefix)) continue;
        if (!vaults.get(entry.parsed.prefix)) {
          // The vault is gone: what came from it must not keep serving.
          entries.delete(entry.reference);
          if (entry.value !== undefined) changed.add(entry.reference);
        } else {
          entry.refreshAt = 0;
          entry.missing = false;
          changed.add(entry.reference);
        }
      }
      // Users re-resolve (and so refetch through the new definition) when told of the change.
      notify(changed);
      return changedPrefixes;
    },
    health() {
      const out: ReferenceHealth[] = [];
      const where = new Map<string, string[]>();
      for (const declared of uses.values()) {
        for (const [reference, places] of declared) {
          const list = where.get(reference) ?? [];
          list.push(...places);
          where.set(reference, list);
        }
      }
      for (const [reference, places] of where) {
        const entry = entries.get(reference);
        const parsed = parseVaultReference(reference);
        out.push({
          reference,
          vault: parsed?.prefix ?? '',
          status: !entry ? 'unresolvable' : statusOf(entry),
          used_by: [...new Set(places)].sort(),
          last_refresh: entry?.lastSuccess ? Math.floor(entry.lastSuccess / 1000) : null,
          next_refresh: entry && entry.refreshAt > 0 ? Math.ceil(entry.refreshAt / 1000) : null,
          last_error:
            entry?.lastError ??
            (!entry
              ? { code: 'PC_VAULT_UNRESOLVED', message: problemOf(parsed, reference)?.message ?? 'never resolved', at: Math.floor(clock() / 1000) }
              : null),
          version: entry?.version ?? null,
        });
      }
      return out.sort((a, b) => a.reference.localeCompare(b.reference));
    },
    refreshDue,
    async expire(prefix, resource) {
      for (const entry of entries.values()) {
        if (entry.parsed.prefix !== prefix || (resource !== undefined && entry.parsed.resource !== resource)) continue;
        entry.refreshAt = 0;
        entry.missing = false;
      }
      await refreshDue();
    },
    start() {
      if (timer || closed) return;
      timer = setInterval(() => void refreshDue(), options.tickInterval ?? 1000);
      timer.unref();
    },
    async close() {
      closed = true;
      clearInterval(timer);
      await vaults.close();
    },
  };
}

function statusOf(entry: Entry): ReferenceStatus {
  if (entry.value !== undefined) return entry.failingSince === null ? 'resolved' : 'stale';
  return entry.everResolved ? 'failing' : 'unresolvable';
}

function shorten(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
