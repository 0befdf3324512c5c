/**
 * The settings every vault has whatever its backend (Kong's names): how long a value is used
 * before it is fetched again (`ttl`), how long a miss is remembered (`neg_ttl`), how long the last
 * good value keeps serving after the backend fails or the secret disappears (`resurrect_ttl`), and
 * how long one backend call may take (`timeout`). They sit in a vault's `config` beside the
 * backend's own keys, and a reference may lower or raise the first three (`?ttl=60`).
 */
import Type, { type Static } from 'typebox';

export const VaultSettingsSchema = Type.Object({
  ttl: Type.Integer({ default: 300, minimum: 1, maximum: 30 * 86_400, description: 'Seconds a resolved value is used before it is fetched again.' }),
  neg_ttl: Type.Integer({ default: 30, minimum: 1, maximum: 86_400, description: 'Seconds a secret found missing is remembered as missing.' }),
  resurrect_ttl: Type.Integer({
    default: 86_400,
    minimum: 0,
    maximum: 365 * 86_400,
    description: 'Seconds the last good value keeps serving after the backend fails or the secret disappears (the reference is `stale` meanwhile).',
  }),
  timeout: Type.Integer({ default: 5000, minimum: 100, maximum: 60_000, description: 'Milliseconds one backend call may take.' }),
});

export type VaultSettings = Static<typeof VaultSettingsSchema>;

export const SETTING_NAMES: readonly (keyof VaultSettings)[] = ['ttl', 'neg_ttl', 'resurrect_ttl', 'timeout'];

/** The settings a reference may override in its query (`?ttl=60`); `timeout` is the vault's. */
export const REFERENCE_SETTING_OPTIONS: readonly string[] = ['ttl', 'neg_ttl', 'resurrect_ttl'];

export const DEFAULT_VAULT_SETTINGS: VaultSettings = { ttl: 300, neg_ttl: 30, resurrect_ttl: 86_400, timeout: 5000 };

/** Splits a vault's config into its settings (defaults filled in) and the backend's own keys. */
export function splitVaultConfig(config: Readonly<Record<string, unknown>>): { settings: Record<string, unknown>; backend: Record<string, unknown> } {
  const settings: Record<string, unknown> = {};
  const backend: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if ((SETTING_NAMES as readonly string[]).includes(key)) settings[key] = value;
    else backend[key] = value;
  }
  return { settings, backend };
}

/** The settings of one reference: the vault's, with the reference's `?ttl=` … overrides (already validated). */
export function referenceSettings(vault: VaultSettings, options: Readonly<Record<string, string>>): VaultSettings {
  const out = { ...vault };
  for (const name of REFERENCE_SETTING_OPTIONS) {
    const raw = options[name];
    if (raw !== undefined) out[name as 'ttl'] = Number(raw);
  }
  return out;
}

/** Checks a reference's setting overrides: whole seconds within the vault schema's bounds. */
export function checkReferenceSettings(options: Readonly<Record<string, string>>): string | null {
  for (const name of REFERENCE_SETTING_OPTIONS) {
    const raw = options[name];
    if (raw === undefined) continue;
    const schema = VaultSettingsSchema.properties[name as 'ttl'] as unknown as { minimum: number; maximum: number };
    const n = Number(raw);
    if (!/^[0-9]{1,9}$/.test(raw) || n < schema.minimum || n > schema.maximum) {
      return `option ${name} must be whole seconds between ${schema.minimum} and ${schema.maximum}`;
    }
  }
  return null;
}
