/**
 * The secrets of the built-in `store` vault backend: one row per (vault, key, version), the value
 * encrypted by the keyring. A row's id is derived from its vault, key and version, and the value's
 * AAD is `vault_secrets|value|<that id>`, computed from what the reader asked for: a value moved to
 * another key, version or vault fails its tag. Each write is a new version; older ones beyond the
 * vault's `max_versions` are deleted in the same transaction; every write records a
 * `vault_secrets` cluster event (vault id, key and version — never the value), so every node
 * refreshes the references that read it at once.
 */
import { createHash } from 'node:crypto';
import type { DaoContext } from './dao-context.js';
import { fieldAad, type FieldCipher } from './field-cipher.js';

export interface VaultSecretVersion {
  readonly key: string;
  readonly version: number;
  readonly created_at: number;
}

export interface VaultSecretSummary {
  readonly key: string;
  readonly current_version: number;
  /** The versions kept, oldest first. */
  readonly versions: readonly number[];
  /** Unix time of the newest version. */
  readonly updated_at: number;
}

/** The id of one version's row: a UUID made from SHA-256 of the vault id, key and version. */
export function vaultSecretRowId(vaultId: string, key: string, version: number): string {
  const h = createHash('sha256').update(`${vaultId}\u0000${key}\u0000${version}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class VaultSecretDao {
  readonly #ctx: DaoContext;
  readonly #cipher: FieldCipher;

  constructor(ctx: DaoContext, cipher: FieldCipher) {
    this.#ctx = ctx;
    this.#cipher = cipher;
  }

  /** Writes `value` as the next version of `key`, keeping at most `maxVersions`. */
  put(vaultId: string, key: string, value: string, maxVersions: number): Promise<VaultSecretVersion> {
    return this.#ctx.write(async (tx) => {
      // Serialises writers of one vault (other nodes, concurrent requests), so versions never collide.
      await tx.forUpdate(tx.db.selectFrom('vaults').select('id').where('id', '=', vaultId)).executeTakeFirst();
      const latest = await tx.db
        .selectFrom('vault_secrets')
        .select(({ fn }) => fn.max('version').as('v'))
        .where('vault_id', '=', vaultId)
        .where('key', '=', key)
        .executeTakeFirst();
      const version = Number(latest?.v ?? 0) + 1;
      const id = vaultSecretRowId(vaultId, key, version);
      const created_at = tx.nowSeconds();
      const stored = this.#cipher.encrypt(value, fieldAad('vault_secrets', 'value', id));
      await tx.db.insertInto('vault_secrets').values({ id, vault_id: vaultId, key, version, value: stored, created_at }).execute();
      await tx.db
        .deleteFrom('vault_secrets')
        .where('vault_id', '=', vaultId)
        .where('key', '=', key)
        .where('version', '<=', version - maxVersions)
        .execute();
      tx.recordEvent({ entity: 'vault_secrets', entity_id: vaultId, operation: 'update', data: { key, version } });
      return { key, version, created_at };
    }, 'vault_secrets');
  }

  /** The value of one version (the newest when `version` is null), or null when there is none. */
  get(vaultId: string, key: string, version: number | null): Promise<string | null> {
    return this.#ctx.read(async (db) => {
      let query = db.selectFrom('vault_secrets').select(['value', 'version']).where('vault_id', '=', vaultId).where('key', '=', key);
      query = version === null ? query.orderBy('version', 'desc').limit(1) : query.where('version', '=', version);
      const row = (await query.executeTakeFirst()) as { value: string; version: number } | undefined;
      if (!row) return null;
      return this.#cipher.decrypt(row.value, fieldAad('vault_secrets', 'value', vaultSecretRowId(vaultId, key, Number(row.version))));
    }, 'vault_secrets');
  }

  /** Every key of a vault with its versions; never a value. */
  list(vaultId: string): Promise<VaultSecretSummary[]> {
    return this.#ctx.read(async (db) => {
      const rows = (await db
        .selectFrom('vault_secrets')
        .select(['key', 'version', 'created_at'])
        .where('vault_id', '=', vaultId)
        .orderBy('key')
        .orderBy('version')
        .execute()) as { key: string; version: number; created_at: number }[];
      const byKey = new Map<string, { versions: number[]; updated_at: number }>();
      for (const r of rows) {
        const entry = byKey.get(r.key) ?? { versions: [], updated_at: 0 };
        entry.versions.push(Number(r.version));
        entry.updated_at = Math.max(entry.updated_at, Number(r.created_at));
        byKey.set(r.key, entry);
      }
      return [...byKey].map(([key, e]) => ({ key, current_version: e.versions.at(-1)!, versions: e.versions, updated_at: e.updated_at }));
    }, 'vault_secrets');
  }

  /** Deletes every version of `key`; true when there was one. */
  delete(vaultId: string, key: string): Promise<boolean> {
    return this.#ctx.write(async (tx) => {
      const result = await tx.db.deleteFrom('vault_secrets').where('vault_id', '=', vaultId).where('key', '=', key).executeTakeFirst();
      const deleted = Number(result.numDeletedRows) > 0;
      if (deleted) tx.recordEvent({ entity: 'vault_secrets', entity_id: vaultId, operation: 'delete', data: { key } });
      return deleted;
    }, 'vault_secrets');
  }
}
