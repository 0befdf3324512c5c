/**
 * Loads the configuration with every `{vault://…}` reference resolved: any key of the file and
 * any `PORTCULLIS_*` variable may hold one (the PostgreSQL password, the admin token, the keyring's
 * Vault token, a remote issuer's token …), through the built-in `env` vault or a vault of the
 * file's own `vaults:` list (the database's vaults are not open yet). Validation runs on the
 * resolved values, so `admin_token: {vault://env/admin-token}` is checked for its length.
 *
 * Every failure is reported with its key, its reference and where the key came from — never a
 * value — and nothing touches the database: `portcullis config check` uses this too.
 */
import { createLogger } from '../observability/logger.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import { createSecretResolver, type SecretResolver } from '../secrets/secret-resolver.js';
import type { VaultBackendFactory } from '../secrets/vault-backend.js';
import { BUILTIN_BACKENDS } from '../secrets/backends/index.js';
import { findFieldReference } from '../secrets/reference.js';
import { validateVaultDefinition } from '../secrets/vault-set.js';
import Value from 'typebox/value';
import { ConfigSchema, type Config } from './schema.js';
import { ConfigError, describeSource, finishConfig, readRawConfig, type LoadConfigOptions, type RawConfig } from './load-config.js';

export interface ResolvedConfig {
  readonly config: Config;
  /** The file and environment as written (references in place): what may be shown. */
  readonly raw: RawConfig;
  /** Each reference the configuration holds → the keys holding it (`config:pg_password`). */
  readonly references: ReadonlyMap<string, readonly string[]>;
  /** Each key holding a reference (`config:pg_password`) → its value as written (`{vault://…}`, or text embedding one). */
  readonly fields: ReadonlyMap<string, string>;
}

/** One config value holding a reference, by key path. */
export interface ConfigReference {
  readonly path: string;
  readonly value: string;
}

const DEFAULT_MAX_VALUE_SIZE = 256 * 1024;

/** Loads, resolves and validates. Throws ConfigError listing every problem. */
export async function loadResolvedConfig(options: LoadConfigOptions = {}): Promise<ResolvedConfig> {
  const raw = readRawConfig(options);
  const resolver = configResolver(raw, options.env ?? {}, BUILTIN_BACKENDS);
  try {
    const found = configReferences(raw.values);
    const problems: string[] = [];
    const values = structuredClone(raw.values);
    await Promise.all(
      found.map(async ({ path, value }) => {
        try {
          setPath(values, path, await resolver.resolveField(value));
        } catch (err) {
          const detail = err instanceof PortcullisError ? `${err.code}: ${err.message}` : 'could not be resolved';
          problems.push(`${path}: ${detail}${describeSource(path, raw.sources)}`);
        }
      }),
    );
    if (problems.length > 0) throw new ConfigError(problems.sort());
    // A resolved value is text; a key of another type (`pg_port`, a boolean) gets it converted by its schema.
    const converted = Value.Convert(ConfigSchema, structuredClone(values)) as Record<string, unknown>;
    for (const { path } of found) setPath(values, path, getPath(converted, path));
    const references = new Map<string, string[]>();
    const fields = new Map(found.map(({ path, value }) => [`config:${path}`, value] as const));
    for (const { path, value } of found) {
      const ref = findFieldReference(value);
      if (ref.kind !== 'reference') continue;
      references.set(ref.reference, [...(references.get(ref.reference) ?? []), `config:${path}`]);
    }
    return { config: finishConfig({ values, sources: raw.sources }), raw, references, fields };
  } finally {
    await resolver.close();
  }
}

/** Every value of the configuration that mentions a reference, outside `vaults` (whose own config may reference only env). */
export function configReferences(values: Readonly<Record<string, unknown>>): ConfigReference[] {
  const out: ConfigReference[] = [];
  const walk = (node: unknown, path: string) => {
    if (typeof node === 'string') {
      if (node.includes('{vault://')) out.push({ path, value: node });
    } else if (Array.isArray(node)) {
      node.forEach((v, i) => walk(v, `${path}.${i}`));
    } else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) walk(v, path ? `${path}.${k}` : k);
    }
  };
  for (const [key, value] of Object.entries(values)) if (key !== 'vaults') walk(value, key);
  return out;
}

/** A resolver over `env` and the file's valid `vaults:` (invalid ones are reported by validation). */
function configResolver(raw: RawConfig, env: Readonly<Record<string, string | undefined>>, backends: readonly VaultBackendFactory[]): SecretResolver {
  const maxValueSize = typeof raw.values['vault_max_value_size'] === 'number' ? raw.values['vault_max_value_size'] : DEFAULT_MAX_VALUE_SIZE;
  const resolver = createSecretResolver({ logger: createLogger({ level: 'silent' }), env, backends, maxValueSize });
  const listed = Array.isArray(raw.values['vaults']) ? (raw.values['vaults'] as Record<string, unknown>[]) : [];
  const vaults = listed.flatMap((v) => {
    const def = { prefix: String(v?.['prefix']), name: String(v?.['name']), config: (v?.['config'] ?? {}) as Record<string, unknown> };
    const { config, errors } = validateVaultDefinition(def, backends);
    return errors.length === 0 ? [{ ...def, config, origin: 'config' as const }] : [];
  });
  resolver.setVaults(vaults);
  return resolver;
}

function getPath(source: Record<string, unknown>, path: string): unknown {
  let node: unknown = source;
  for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
  return node;
}

/** Sets a dotted key path (`api_keys.issuers.0.token`) that exists in `target`. */
export function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node: Record<string, unknown> = target;
  for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
  node[parts.at(-1)!] = value;
}
