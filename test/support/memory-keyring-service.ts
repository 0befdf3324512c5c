/**
 * A small in-memory KeyringService for the tests of what sits in front of the real one (the
 * `/keyring` Admin API routes, the admin client, `portcullis keyring --admin-url`). It keeps the
 * real one's rules that those edges show to users — catalogued errors for unknown, conflicting and
 * in-use keys, merge-only imports, a rewrap that moves every value to the active key in batches —
 * and lets a test set what the database holds (`values`) and how many values fail a rewrap.
 * The real service, with its cryptography, is tested end to end on its own.
 */
import { randomBytes } from 'node:crypto';
import { generateKeyId, keyCheckValue } from '../../src/keyring/keyring.js';
import { IDLE_REWRAP, type KeyringService, type KeyringStatus, type RewrapProgress } from '../../src/keyring/keyring-service.js';
import { PortcullisError } from '../../src/errors/portcullis-error.js';

/** Stands in for the recovery private key: `recover` accepts this PEM and no other. */
export const MEMORY_RECOVERY_PEM = '-----BEGIN PRIVATE KEY-----\nbWVtb3J5LXJlY292ZXJ5\n-----END PRIVATE KEY-----\n';
const EXPORT_PREFIX = 'memexport.';

export interface MemoryKeyringService extends KeyringService {
  /** Stored encrypted values per key id and entity; a test sets them to stand for the database. */
  readonly values: Map<string, Map<string, number>>;
  /** How many values the next rewrap cannot re-encrypt. */
  rewrapFailures: number;
  /** Values moved per `rewrapProgress()` call. */
  rewrapBatch: number;
  /** Adds a key the database uses but this node does not hold (`missing`). */
  addForeignValues(id: string, entity: string, count: number): void;
}

interface HeldKey {
  readonly key: Buffer;
  readonly created_at: number;
}

const IDLE = IDLE_REWRAP;

export function createMemoryKeyringService(options: { strategy?: 'cluster' | 'vault' } = {}): MemoryKeyringService {
  const held = new Map<string, HeldKey>();
  const values = new Map<string, Map<string, number>>();
  let active: string | null = null;
  let progress: RewrapProgress = IDLE;
  let clock = 1_700_000_000;

  const countOf = (id: string) => [...(values.get(id)?.values() ?? [])].reduce((a, b) => a + b, 0);
  const unknown = (id: string) => new PortcullisError('PC_KEYRING_KEY_UNKNOWN', { message: `No keyring key has the id ${id}` });
  const conflicts = (id: string, key: Buffer) => held.has(id) && !held.get(id)!.key.equals(key);
  const conflict = (id: string) => new PortcullisError('PC_KEYRING_KEY_CONFLICT', { message: `Keyring key ${id} is held with different material` });
  /** Adds a key; false when it was held already. */
  const add = (id: string, key: Buffer) => {
    if (conflicts(id, key)) throw conflict(id);
    if (held.has(id)) return false;
    held.set(id, { key, created_at: clock++ });
    return true;
  };

  const service: MemoryKeyringService = {
    values,
    rewrapFailures: 0,
    rewrapBatch: 40,
    addForeignValues(id, entity, count) {
      const byEntity = values.get(id) ?? new Map<string, number>();
      byEntity.set(entity, (byEntity.get(entity) ?? 0) + count);
      values.set(id, byEntity);
    },
    async status(): Promise<KeyringStatus> {
      const ids = [...held.keys()];
      const missing = [...values.keys()].filter((id) => !held.has(id) && countOf(id) > 0);
      return {
        strategy: options.strategy ?? 'cluster',
        ids,
        active,
        keys: ids.map((id) => {
          const k = held.get(id)!;
          return { id, kcv: keyCheckValue(k.key), created_at: k.created_at, active: id === active, encryptions: countOf(id), held: true };
        }),
        missing,
        complete: active !== null && missing.length === 0,
      };
    },
    async generate() {
      const id = generateKeyId();
      const key = randomBytes(32);
      add(id, key);
      return { id, key: key.toString('base64') };
    },
    async activate(id) {
      if (!held.has(id)) throw unknown(id);
      active = id;
    },
    async exportKeyring() {
      const keys = [...held].map(([id, k]) => ({ id, key: k.key.toString('base64') }));
      return { data: EXPORT_PREFIX + Buffer.from(JSON.stringify({ keys, active })).toString('base64url') };
    },
    async importKeyring(data, importOptions = {}) {
      let parsed: { keys: { id: string; key: string }[]; active: string | null };
      try {
        if (!data.startsWith(EXPORT_PREFIX)) throw new Error('not an export');
        parsed = JSON.parse(Buffer.from(data.slice(EXPORT_PREFIX.length), 'base64url').toString('utf8'));
      } catch {
        throw new PortcullisError('PC_KEYRING_EXPORT_INVALID');
      }
      // Nothing is imported when one id conflicts.
      for (const k of parsed.keys) if (conflicts(k.id, Buffer.from(k.key, 'base64'))) throw conflict(k.id);
      const imported: string[] = [];
      const existing: string[] = [];
      for (const k of parsed.keys) (add(k.id, Buffer.from(k.key, 'base64')) ? imported : existing).push(k.id);
      if (importOptions.activate && parsed.active) active = parsed.active;
      return { imported, existing };
    },
    async importRaw(input) {
      add(input.id, Buffer.from(input.key, 'base64'));
    },
    async remove(id, removeOptions = {}) {
      if (!held.has(id)) throw unknown(id);
      const inUse = countOf(id);
      if (!removeOptions.force && id === active) throw new PortcullisError('PC_KEYRING_KEY_IN_USE', { message: `Keyring key ${id} is the active key` });
      if (!removeOptions.force && inUse > 0) {
        throw new PortcullisError('PC_KEYRING_KEY_IN_USE', {
          message: `Keyring key ${id} still encrypts ${inUse} stored values: run a rewrap first, or remove it with force`,
        });
      }
      held.delete(id);
      if (active === id) active = null;
    },
    async usage() {
      const keys: Record<string, { total: number; by_entity: Record<string, number> }> = {};
      for (const [id, byEntity] of values) keys[id] = { total: countOf(id), by_entity: Object.fromEntries(byEntity) };
      return { keys, plaintext: 0 };
    },
    async recover(privateKeyPem) {
      if (privateKeyPem !== MEMORY_RECOVERY_PEM)
        throw new PortcullisError('PC_KEYRING_EXPORT_INVALID', { message: 'The recovery private key does not open the recovery copy' });
      const missing = (await service.status()).missing;
      return { recovered: [], not_recovered: missing };
    },
    async vaultSync() {
      if ((options.strategy ?? 'cluster') !== 'vault') {
        throw new PortcullisError('PC_KEYRING_NOT_CONFIGURED', { message: 'vault/sync needs keyring_strategy: vault' });
      }
      return service.status();
    },
    async startRewrap() {
      if (progress.status === 'running') return progress;
      if (active === null) throw new PortcullisError('PC_KEYRING_EMPTY');
      const total = [...values.keys()].reduce((sum, id) => sum + countOf(id), 0);
      progress = { ...IDLE, status: 'running', target_key: active, total, started_at: clock, updated_at: clock };
      return progress;
    },
    async rewrapProgress() {
      if (progress.status !== 'running') return progress;
      clock += 1;
      const processed = Math.min(progress.total, progress.done + progress.failed + service.rewrapBatch);
      const failed = Math.min(service.rewrapFailures, processed);
      const done = processed - failed;
      const finished = processed === progress.total;
      const elapsed = clock - (progress.started_at ?? clock);
      const rate = elapsed > 0 ? processed / elapsed : null;
      progress = {
        ...progress,
        status: finished ? 'done' : 'running',
        done,
        failed,
        rate,
        eta_seconds: finished ? 0 : rate ? Math.ceil((progress.total - processed) / rate) : null,
        updated_at: clock,
        finished_at: finished ? clock : null,
      };
      if (finished) {
        // Every value that could be moved is now under the target key.
        const target = progress.target_key!;
        const moved = new Map<string, number>();
        for (const [id, byEntity] of values) {
          if (id === target || !held.has(id)) continue;
          for (const [entity, n] of byEntity) moved.set(entity, (moved.get(entity) ?? 0) + n);
          values.delete(id);
        }
        const byTarget = values.get(target) ?? new Map<string, number>();
        for (const [entity, n] of moved) byTarget.set(entity, (byTarget.get(entity) ?? 0) + n);
        values.set(target, byTarget);
      }
      return progress;
    },
  };
  return service;
}
