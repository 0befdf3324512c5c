/**
 * Loads the configuration: defaults ← YAML file ← `PORTCULLIS_<KEY>` environment variables,
 * validated against the schema, checked for cross-key rules, then frozen. Nothing else in
 * Portcullis reads `process.env` for settings: callers pass `env` in.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import Value from 'typebox/value';
import type { TSchema } from 'typebox';
import { ConfigSchema, type Config } from './schema.js';
import { createValidator } from '../schema/validator.js';
import { adminTokenProblem } from './listen.js';
import { parseIpRange } from './ip-range.js';
import { validateVaultDefinition } from '../secrets/vault-set.js';
import { BUILTIN_BACKENDS } from '../secrets/backends/index.js';

export const ENV_PREFIX = 'PORTCULLIS_';

/** A configuration problem, reported as "key: what was wrong (where it came from)". */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface LoadConfigOptions {
  /** Path of a YAML file; absent means defaults and environment only. */
  readonly file?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const validator = createValidator(ConfigSchema);

/** The file and the environment merged, before defaults and validation, with where each key came from. */
export interface RawConfig {
  readonly values: Record<string, unknown>;
  /** Key path (`api_keys.cache_ttl`) → the file or variable that set it. */
  readonly sources: ReadonlyMap<string, string>;
}

/**
 * Loads the configuration as it is written: a `{vault://…}` reference stays a reference. The node
 * and the CLI load through `loadResolvedConfig` (config/load-resolved-config.ts), which resolves
 * references between `readRawConfig` and `finishConfig`.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  return finishConfig(readRawConfig(options));
}

/** Reads the file and overlays the `PORTCULLIS_*` variables. Throws ConfigError. */
export function readRawConfig(options: LoadConfigOptions = {}): RawConfig {
  const sources = new Map<string, string>();
  const fromFile = options.file ? readConfigFile(options.file) : {};
  for (const key of Object.keys(fromFile)) sources.set(key, options.file!);
  return { values: applyEnv(fromFile, options.env ?? {}, sources), sources };
}

/** Applies defaults, validates, checks cross-key rules and freezes. Throws ConfigError. */
export function finishConfig(raw: RawConfig): Config {
  const { sources } = raw;
  const withDefaults = Value.Default(ConfigSchema, Value.Clone(raw.values)) as Record<string, unknown>;
  const problems = validator.errors(withDefaults).map((e) => `${e.path}: ${e.message}${describeSource(e.path, sources)}`);
  if (problems.length > 0) throw new ConfigError(problems);
  const config = withDefaults as Config;
  const crossKey = checkCrossKeyRules(config);
  if (crossKey.length > 0) throw new ConfigError(crossKey);
  return deepFreeze(config);
}

/** The environment variable that sets a key path: `api_keys.hash_algorithm` → `PORTCULLIS_API_KEYS_HASH_ALGORITHM`. */
export function envName(path: readonly string[]): string {
  return ENV_PREFIX + path.join('_').toUpperCase();
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text) ?? {};
  } catch (err) {
    throw new ConfigError([`config file ${file} is not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new ConfigError([`config file ${file} must hold a mapping of keys`]);
  return parsed as Record<string, unknown>;
}

/** Overlays every `PORTCULLIS_*` variable that names a schema key, parsed by that key's type. */
function applyEnv(base: Record<string, unknown>, env: Readonly<Record<string, string | undefined>>, sources: Map<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(base);
  const problems: string[] = [];
  const visit = (schema: TSchema, path: string[], target: Record<string, unknown>) => {
    const props = (schema as { properties?: Record<string, TSchema> }).properties ?? {};
    for (const [key, sub] of Object.entries(props)) {
      const subPath = [...path, key];
      const name = envName(subPath);
      const raw = env[name];
      if (raw !== undefined) {
        const parsed = parseEnvValue(sub, raw);
        if (parsed.ok) target[key] = parsed.value;
        else problems.push(`${subPath.join('.')}: ${parsed.error} (from ${name})`);
        sources.set(subPath.join('.'), name);
      } else if ((sub as { type?: string }).type === 'object' && (sub as { properties?: unknown }).properties) {
        const child = (target[key] ??= {}) as Record<string, unknown>;
        if (typeof child === 'object' && child !== null) visit(sub, subPath, child);
      }
    }
  };
  visit(ConfigSchema, [], out);
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

function parseEnvValue(schema: TSchema, raw: string): Parsed {
  const type = (schema as { type?: string }).type;
  // A reference in a number or boolean key stays text: the loader resolves it, then converts it
  // (load-resolved-config.ts). JSON keys (arrays, objects) are parsed: references sit inside them.
  if (type !== 'array' && type !== 'object' && raw.includes('{vault://')) return { ok: true, value: raw };
  if (type === 'integer' || type === 'number') {
    const n = Number(raw.trim());
    return raw.trim() !== '' && Number.isFinite(n) ? { ok: true, value: n } : { ok: false, error: `must be a number, got "${truncate(raw)}"` };
  }
  if (type === 'boolean') {
    const v = raw.trim().toLowerCase();
    if (['true', 'on', 'yes', '1'].includes(v)) return { ok: true, value: true };
    if (['false', 'off', 'no', '0'].includes(v)) return { ok: true, value: false };
    return { ok: false, error: `must be true or false, got "${truncate(raw)}"` };
  }
  if (type === 'array' || type === 'object') {
    try {
      return { ok: true, value: JSON.parse(raw) };
    } catch {
      return { ok: false, error: 'must be JSON' };
    }
  }
  return { ok: true, value: raw };
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

export function describeSource(path: string, sources: ReadonlyMap<string, string>): string {
  for (let p = path; p; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') {
    const source = sources.get(p);
    if (source) return ` (from ${source})`;
  }
  return '';
}

function checkCrossKeyRules(config: Config): string[] {
  const problems: string[] = [];
  for (const key of ['admin_listen', 'admin_listen_tls'] as const) {
    const problem = adminTokenProblem(key, config[key], config.admin_token);
    if (problem !== null) problems.push(problem);
  }
  if ((config.admin_tls_cert === undefined) !== (config.admin_tls_key === undefined)) {
    problems.push('admin_tls_cert, admin_tls_key: give both (PEM text or file paths) or neither (the node default certificate is used)');
  }
  if (config.admin_token !== undefined && config.admin_token.trim() === '') {
    problems.push('admin_token: must not be blank (it is only whitespace)');
  } else if (config.admin_token !== undefined && config.admin_token.trim() !== config.admin_token) {
    // Headers lose surrounding whitespace on the way, so such a token could never be presented.
    problems.push('admin_token: must not start or end with whitespace');
  }
  const names = new Set<string>();
  const prefixes = new Set<string>();
  config.api_keys.issuers.forEach((issuer, i) => {
    if (names.has(issuer.name)) problems.push(`api_keys.issuers.${i}.name: "${issuer.name}" is used by another issuer`);
    if (prefixes.has(issuer.prefix)) problems.push(`api_keys.issuers.${i}.prefix: "${issuer.prefix}" is used by another issuer`);
    names.add(issuer.name);
    prefixes.add(issuer.prefix);
  });
  const vaultPrefixes = new Set<string>();
  config.vaults.forEach((vault, i) => {
    if (vaultPrefixes.has(vault.prefix)) problems.push(`vaults.${i}.prefix: "${vault.prefix}" is used by another vault`);
    vaultPrefixes.add(vault.prefix);
    for (const e of validateVaultDefinition(vault, BUILTIN_BACKENDS).errors) problems.push(`vaults.${i}.${e.path}: ${e.message}`);
  });
  config.trusted_ips.forEach((entry, i) => {
    const parsed = parseIpRange(entry);
    if (!parsed.ok) problems.push(`trusted_ips.${i}: ${parsed.error}`);
  });
  return problems;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
