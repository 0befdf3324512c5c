/**
 * The keyring of one process: loads key material (the blob file, or Vault), keeps the database's
 * metadata in step (which keys exist, which is active, how many encryptions each made), and
 * implements every operator operation of KeyringService. Changes run under the keyring lock, are
 * persisted (blob file, metadata, recovery copy) before the in-memory keyring changes, and announce
 * themselves to the other processes on the database with a `keyring` cluster event.
 *
 * Fail closed: a key the database names but this process lacks is reported (`problem()` →
 * readiness, `status().missing`), never guessed; values under it fail with PC_KEYRING_KEY_MISSING.
 */
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { PortcullisError } from '../errors/portcullis-error.js';
import type { Store } from '../store/store.js';
import type { ClusterEvent } from '../store/cluster-events.js';
import type { EventSubscriber } from '../cluster/event-bus.js';
import {
  generateKey,
  isKeyId,
  keyCheckValue,
  sameMaterial,
  withKeys,
  withoutKey,
  KEY_BYTES,
  type Keyring,
  type KeyringHolder,
  type KeyringKey,
  EMPTY_KEYRING,
} from './keyring.js';
import type { KeyringService, KeyringStatus, KeyringUsage, RewrapProgress } from './keyring-service.js';
import { addEncryptions, readBlob, readKeyMetadata, withKeyringLock, RECOVERY_BLOB, type KeyMetadata, type KeyringTx } from './keyring-metadata.js';
import { openLocalMaterial, type LocalMaterial } from './keyring-local-material.js';
import type { EncryptionCounter } from './encryption-counter.js';
import { unwrapKeyring, wrapKeyring } from './keyring-wrap.js';
import { readPem } from './rsa-key-pair.js';
import { readVaultKeyring } from './vault-keyring-source.js';
import { countKeyringUsage } from './keyring-usage.js';
import { createRewrapper, type Rewrapper } from './rewrap.js';
import type { FieldCipher } from '../store/field-cipher.js';
import type { KeyringMetricsSource } from './keyring-metrics.js';

export type KeyringConfig = Pick<
  Config,
  | 'sqlite_path'
  | 'keyring_strategy'
  | 'keyring_blob_path'
  | 'keyring_public_key'
  | 'keyring_private_key'
  | 'keyring_recovery_public_key'
  | 'keyring_max_encryptions'
  | 'keyring_rotation_interval'
  | 'keyring_vault_host'
  | 'keyring_vault_mount'
  | 'keyring_vault_path'
  | 'keyring_vault_token'
  | 'keyring_vault_namespace'
  | 'keyring_vault_ca'
>;

export interface KeyringManagerDeps {
  readonly store: Store;
  readonly holder: KeyringHolder;
  readonly cipher: FieldCipher;
  readonly counter: EncryptionCounter;
  readonly config: KeyringConfig;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly logger: Logger;
  /** Identifies this process as the owner of a rewrap it runs. */
  readonly instanceId: string;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
  /** How often counts are persisted and the rotation interval checked, in ms. */
  readonly flushInterval?: number;
}

export interface KeyringManager extends KeyringService, KeyringMetricsSource {
  /** Loads the keys and creates the first one on an empty keyring. Call once, after migrations. */
  open(): Promise<void>;
  /** Reads what other processes changed (metadata, blob file, Vault is not re-read). */
  reload(): Promise<void>;
  /** Why the keyring is not complete (for readiness), or null. */
  problem(): PortcullisError | null;
  /** Ids the database's metadata names that this process does not hold (as of the last reload). */
  missing(): readonly string[];
  /**
   * Opens with keys handed over by this machine's primary process (a `--workers` worker): nothing
   * is read from or written to the key file, no key is made; later keys arrive through adoptShared.
   */
  openHanded(keys: readonly KeyringKey[]): Promise<void>;
  /**
   * Adopts keys another node handed over (the keyring exchange): each must be a key the database
   * lists with the same key check value, else nothing is adopted (PC_KEYRING_KEY_CONFLICT). Saved
   * in the blob file too, so a restart needs no second exchange. Returns the ids added.
   */
  adoptShared(keys: readonly KeyringKey[]): Promise<string[]>;
  /** Lets the keyring exchange say why missing keys are not coming (PC_KEYRING_NOT_SHARED); problem() reports it. */
  attachSharing(problem: () => PortcullisError | null): void;
  /** Continues a rewrap a crashed process left running (nodes call it once they serve). */
  resumeRewrap(): Promise<void>;
  readonly subscriber: EventSubscriber;
  /** Persists counts, stops timers and the rewrap. */
  close(): Promise<void>;
}

const USAGE_REFRESH_MS = 10 * 60 * 1000;
/** How long a node that was complete stays ready while a key made elsewhere is on its way (see problem()). */
const MISSING_GRACE_MS = 5000;

export function createKeyringManager(deps: KeyringManagerDeps): KeyringManager {
  const { store, holder, counter, config, logger } = deps;
  const nowMs = deps.now ?? Date.now;
  const nowSeconds = () => Math.floor(nowMs() / 1000);
  const strategy = config.keyring_strategy;
  let material: LocalMaterial | null = null;
  let metadata: KeyMetadata[] = [];
  let recoveryPublicKey: string | null = null;
  let timer: NodeJS.Timeout | undefined;
  let rotating: Promise<void> | null = null;
  let closed = false;
  let lastUsage: KeyringUsage | null = null;
  let usageTimer: NodeJS.Timeout | undefined;
  let counting: Promise<void> | null = null;
  let sharingProblem: () => PortcullisError | null = () => null;
  // A node that was complete and then misses a key another node just made (it arrives through the
  // keyring exchange within about a second) stays ready for MISSING_GRACE_MS: a key rotation must
  // not make every other node not-ready at once. A node that never was complete gets no grace.
  let everComplete = false;
  let missingSince: number | null = null;
  /** Refreshes the values-per-key metric in the background (one count at a time). */
  const recount = () =>
    (counting ??= countKeyringUsage(store)
      .then((usage) => void (lastUsage = usage))
      .catch((err) => logger.warn({ code: (err as { code?: string }).code, err: (err as Error).message }, 'could not count keyring usage'))
      .finally(() => (counting = null)));
  const rewrapper: Rewrapper = createRewrapper({
    store,
    cipher: deps.cipher,
    activeKeyId: () => holder.current().active,
    logger,
    owner: deps.instanceId,
    now: nowMs,
  });

  const held = () => holder.current().keys;
  const missingIds = () => metadata.filter((m) => !held().has(m.id)).map((m) => m.id);
  const activeMeta = () => metadata.find((m) => m.active) ?? null;

  const requireStrategy = (wanted: 'cluster' | 'vault', operation: string) => {
    if (strategy !== wanted) {
      throw new PortcullisError('PC_KEYRING_NOT_CONFIGURED', {
        message:
          wanted === 'cluster'
            ? `${operation} is not available with keyring_strategy: vault (keys come from Vault: write a new version there, then POST /keyring/vault/sync)`
            : `${operation} needs keyring_strategy: vault`,
      });
    }
  };
  const requireHeld = (id: string): KeyringKey => {
    const key = held().get(id);
    if (!key) throw new PortcullisError('PC_KEYRING_KEY_UNKNOWN', { message: `This node holds no keyring key ${id}` });
    return key;
  };

  /** Applies `change` under the lock; `next` becomes the in-memory keyring once it committed. */
  const change = async (
    what: string,
    fn: (tx: KeyringTx, current: Keyring) => Promise<{ next: Keyring; keyId: string | null; removed?: string; changed?: boolean; announce?: boolean }>,
  ) => {
    const next = await withKeyringLock(store, async (tx) => {
      const out = await fn(tx, holder.current());
      if (out.changed === false) return out.next;
      material?.save(out.next, nowSeconds(), out.removed);
      if (recoveryPublicKey) await saveRecovery(tx, out.next, out.removed);
      if (out.announce !== false) tx.announce(what, out.keyId);
      return out.next;
    });
    metadata = await readKeyMetadata(store.db);
    for (const m of metadata) counter.setPersisted(m.id, m.encryptions);
    holder.replace(next);
    return next;
  };

  const saveRecovery = async (tx: KeyringTx, next: Keyring, removed?: string) => {
    const known = new Set([...tx.keys.map((k) => k.id), ...next.keys.keys()]);
    if (removed) known.delete(removed);
    const lacking = [...known].filter((id) => !next.keys.has(id));
    if (lacking.length > 0) {
      logger.warn({ missing: lacking }, 'keyring recovery copy not updated: this node does not hold every key');
      return;
    }
    const blob = wrapKeyring({ keys: [...next.keys.values()], active: next.active }, recoveryPublicKey!, { purpose: 'recovery', nowSeconds: nowSeconds() });
    await tx.saveBlob(RECOVERY_BLOB, blob, nowSeconds());
  };

  /** Keys in `incoming` that this node holds with other material (nothing may be imported then). */
  const conflicts = (incoming: readonly KeyringKey[]) =>
    incoming.filter((k) => {
      const mine = held().get(k.id);
      if (mine) return !sameMaterial(mine, k);
      const meta = metadata.find((m) => m.id === k.id);
      return meta !== undefined && meta.kcv !== keyCheckValue(k.key);
    });

  const merge = async (what: string, incoming: readonly KeyringKey[], activate: string | null) => {
    const clash = conflicts(incoming);
    if (clash.length > 0) {
      throw new PortcullisError('PC_KEYRING_KEY_CONFLICT', {
        message: `Keyring key${clash.length > 1 ? 's' : ''} ${clash.map((k) => k.id).join(', ')} already exist${clash.length > 1 ? '' : 's'} with different material; nothing was imported`,
      });
    }
    const added = incoming.filter((k) => !held().has(k.id)).map((k) => k.id);
    await change(what, async (tx, current) => {
      for (const k of incoming) if (!tx.keys.some((m) => m.id === k.id)) await tx.insertKey({ id: k.id, kcv: keyCheckValue(k.key), created_at: k.created_at });
      if (activate) await tx.activate(activate, nowSeconds());
      const dbActive = activate ?? tx.keys.find((m) => m.active)?.id ?? null;
      const next = withKeys(current, incoming, null);
      return { next: withKeys(next, [], dbActive !== null && next.keys.has(dbActive) ? dbActive : null), keyId: activate };
    });
    return added;
  };

  const rotate = (reason: string, fromKey: string) => {
    if (strategy !== 'cluster') {
      logger.warn({ key: fromKey, reason }, 'the active keyring key should be replaced: write a new key version in Vault and sync');
      return;
    }
    if (rotating || closed) return;
    rotating = (async () => {
      try {
        let made: string | null = null;
        await change('rotate', async (tx, current) => {
          const active = tx.keys.find((m) => m.active);
          if (!active || active.id !== fromKey) return { next: current, keyId: null, changed: false }; // another process rotated already
          const key = freshKey(current);
          await tx.insertKey({ id: key.id, kcv: keyCheckValue(key.key), created_at: key.created_at });
          await tx.activate(key.id, nowSeconds());
          made = key.id;
          return { next: withKeys(current, [key], key.id), keyId: key.id };
        });
        if (made) logger.warn({ previous: fromKey, active: made, reason }, 'keyring key rotated: a new key was generated and activated');
      } catch (err) {
        logger.error({ err: (err as Error).message, key: fromKey }, 'keyring rotation failed; will retry');
      } finally {
        rotating = null;
      }
    })();
  };

  const freshKey = (current: Keyring): KeyringKey => {
    for (;;) {
      const key = generateKey(nowSeconds());
      if (!current.keys.has(key.id) && !metadata.some((m) => m.id === key.id)) return key;
    }
  };

  const flush = async () => {
    const counts = counter.drain();
    try {
      await addEncryptions(store, counts);
    } catch (err) {
      counter.restore(counts);
      logger.warn({ err: (err as Error).message }, 'could not persist keyring encryption counts; will retry');
    }
  };

  const tick = async () => {
    await flush();
    if (config.keyring_rotation_interval > 0) {
      const active = activeMeta();
      const since = active ? (active.activated_at ?? active.created_at) : null;
      if (active && since !== null && nowSeconds() - since >= config.keyring_rotation_interval) rotate('keyring_rotation_interval', active.id);
    }
  };

  const loadVault = async (): Promise<{ keys: KeyringKey[]; active: string }> => {
    if (!config.keyring_vault_host || !config.keyring_vault_path || !config.keyring_vault_token) {
      throw new PortcullisError('PC_KEYRING_NOT_CONFIGURED', {
        message: 'keyring_strategy: vault needs keyring_vault_host, keyring_vault_path and keyring_vault_token',
      });
    }
    // Already resolved by the config loader when it was a reference: a value is never resolved twice.
    const token = config.keyring_vault_token;
    return readVaultKeyring({
      host: config.keyring_vault_host,
      mount: config.keyring_vault_mount,
      path: config.keyring_vault_path,
      token,
      ...(config.keyring_vault_namespace ? { namespace: config.keyring_vault_namespace } : {}),
      ...(config.keyring_vault_ca ? { ca: readPem(config.keyring_vault_ca, 'keyring_vault_ca') } : {}),
    });
  };

  /** Makes the metadata say what Vault says: every Vault key known, Vault's current version active. */
  const adoptVault = async (what: string, fromVault: { keys: KeyringKey[]; active: string }) => {
    await change(what, async (tx, current) => {
      for (const k of fromVault.keys) {
        const meta = tx.keys.find((m) => m.id === k.id);
        if (meta && meta.kcv !== keyCheckValue(k.key)) {
          throw new PortcullisError('PC_KEYRING_KEY_CONFLICT', { message: `Vault's keyring key ${k.id} differs from the key of that id the database knows` });
        }
        if (!meta) await tx.insertKey({ id: k.id, kcv: keyCheckValue(k.key), created_at: k.created_at });
      }
      if (!tx.keys.find((m) => m.active && m.id === fromVault.active)) await tx.activate(fromVault.active, nowSeconds());
      const next = withKeys(Object.freeze({ keys: new Map(), active: null }), fromVault.keys, fromVault.active);
      void current;
      return { next, keyId: fromVault.active };
    });
  };

  const status = (): KeyringStatus => {
    const ids = [...new Set([...metadata.map((m) => m.id), ...held().keys()])];
    const missing = missingIds();
    const active = holder.current().active;
    return {
      strategy,
      ids,
      active,
      keys: ids.map((id) => {
        const meta = metadata.find((m) => m.id === id);
        const key = held().get(id);
        return {
          id,
          kcv: meta?.kcv ?? keyCheckValue(key!.key),
          created_at: meta?.created_at ?? key!.created_at,
          active: id === active,
          encryptions: counter.total(id),
          held: key !== undefined,
        };
      }),
      missing,
      complete: missing.length === 0 && active !== null,
    };
  };

  const manager: KeyringManager = {
    async open() {
      recoveryPublicKey = config.keyring_recovery_public_key ? readPem(config.keyring_recovery_public_key, 'keyring_recovery_public_key') : null;
      counter.onLimit(config.keyring_max_encryptions, (id) => {
        if (id === holder.current().active) rotate('keyring_max_encryptions', id);
      });
      if (strategy === 'vault') {
        metadata = await readKeyMetadata(store.db);
        await adoptVault('vault-load', await loadVault());
      } else {
        const local = openLocalMaterial(config);
        material = local;
        let created: string | null = null;
        await change('open', async (tx, held) => {
          // Read under the lock: a process that made the first key meanwhile wrote the file before it committed.
          const fromFile = local.load();
          const current = withKeys(held, fromFile.keys, null);
          let next = current;
          let changed = false;
          // Keys the file holds that the database does not know (a database restored without them, a key made by a process that crashed before commit).
          for (const k of current.keys.values()) {
            if (tx.keys.some((m) => m.id === k.id)) continue;
            await tx.insertKey({ id: k.id, kcv: keyCheckValue(k.key), created_at: k.created_at });
            changed = true;
          }
          let active = tx.keys.find((m) => m.active)?.id ?? null;
          if (active === null && tx.keys.length === 0 && current.keys.size === 0) {
            // First start on an empty keyring: exactly one process (the lock holder) makes the first key.
            const key = freshKey(current);
            await tx.insertKey({ id: key.id, kcv: keyCheckValue(key.key), created_at: key.created_at });
            await tx.activate(key.id, nowSeconds());
            next = withKeys(current, [key], null);
            active = key.id;
            created = key.id;
            changed = true;
          } else if (active === null && fromFile.active && current.keys.has(fromFile.active)) {
            await tx.activate(fromFile.active, nowSeconds());
            active = fromFile.active;
            changed = true;
          }
          return { next: withKeys(next, [], active !== null && next.keys.has(active) ? active : null), keyId: created, changed };
        });
        if (local.createdKeyPair)
          logger.warn({ folder: local.blobPath }, 'created the keyring RSA key pair in the data folder (see docs/keyring.md to move the private key offline)');
        if (created) logger.info({ key: created }, 'keyring initialised: generated and activated the first key');
      }
      for (const m of metadata) counter.setPersisted(m.id, m.encryptions);
      // A recovery key configured after the keys were made: the copy is written now, not at the next change.
      if (recoveryPublicKey && missingIds().length === 0 && holder.current().keys.size > 0) {
        await withKeyringLock(store, (tx) => saveRecovery(tx, holder.current()));
      }
      const missing = missingIds();
      if (missing.length) logger.error({ missing }, 'keyring incomplete: values encrypted with these keys cannot be read until they are imported or recovered');
      timer = setInterval(() => void tick(), deps.flushInterval ?? 5000);
      timer.unref();
      usageTimer = setInterval(() => void recount(), USAGE_REFRESH_MS);
      usageTimer.unref();
      void recount();
    },

    async reload() {
      if (missingIds().length === 0 && holder.current().active !== null) everComplete = true;
      if (material) {
        const fromFile = material.load();
        const incoming = fromFile.keys.filter((k) => !held().has(k.id));
        if (incoming.length) holder.replace(withKeys(holder.current(), incoming, null));
      }
      metadata = await readKeyMetadata(store.db);
      for (const m of metadata) counter.setPersisted(m.id, m.encryptions);
      const active = activeMeta()?.id ?? null;
      // A new active key this node does not hold yet (made by another node, on its way through the
      // exchange): keep encrypting with the previous one, which every node can still read, rather
      // than refusing every write until it arrives.
      const previous = holder.current().active;
      const keepPrevious = previous !== null && held().has(previous) && metadata.some((m) => m.id === previous);
      const next = active !== null && held().has(active) ? active : keepPrevious ? previous : null;
      if (next !== holder.current().active) holder.replace(withKeys(holder.current(), [], next));
    },

    problem() {
      const missing = missingIds();
      if (missing.length === 0) missingSince = null;
      else missingSince ??= nowMs();
      if (missing.length > 0) {
        const notShared = sharingProblem();
        if (notShared) return notShared;
        if (everComplete && nowMs() - missingSince! < MISSING_GRACE_MS) return null;
        return new PortcullisError('PC_KEYRING_KEY_MISSING', {
          message: `The keyring is incomplete: this node does not hold key${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`,
        });
      }
      if (holder.current().active === null) return new PortcullisError('PC_KEYRING_EMPTY');
      everComplete = true;
      return null;
    },

    missing: () => missingIds(),

    async openHanded(keys) {
      metadata = await readKeyMetadata(store.db);
      for (const m of metadata) counter.setPersisted(m.id, m.encryptions);
      // The same check as for keys another node hands over: the database's check values decide.
      const known = new Map(metadata.map((m) => [m.id, m.kcv]));
      const refused = keys.filter((k) => known.get(k.id) !== keyCheckValue(k.key)).map((k) => k.id);
      if (refused.length > 0) {
        throw new PortcullisError('PC_KEYRING_KEY_CONFLICT', {
          message: `Keyring key${refused.length > 1 ? 's' : ''} ${refused.join(', ')} handed over by the primary do${refused.length > 1 ? '' : 'es'} not match the key check value the database lists`,
        });
      }
      const handed = withKeys(EMPTY_KEYRING, keys, null);
      const active = activeMeta()?.id ?? null;
      holder.replace(withKeys(handed, [], active !== null && handed.keys.has(active) ? active : null));
    },

    async adoptShared(keys) {
      // Authenticated by the metadata, not by the sender: a key the database does not list, or lists
      // with another check value, is refused with the whole answer (it may come from a forger).
      metadata = await readKeyMetadata(store.db);
      const known = new Map(metadata.map((m) => [m.id, m.kcv]));
      const refused = keys.filter((k) => known.get(k.id) !== keyCheckValue(k.key) || conflicts([k]).length > 0).map((k) => k.id);
      if (refused.length > 0) {
        throw new PortcullisError('PC_KEYRING_KEY_CONFLICT', {
          message: `Keyring key${refused.length > 1 ? 's' : ''} ${refused.join(', ')} handed over by another node do${refused.length > 1 ? '' : 'es'} not match the key check value the database lists; nothing was adopted`,
        });
      }
      const incoming = keys.filter((k) => !held().has(k.id));
      if (incoming.length === 0) return [];
      await change('share', async (tx, current) => {
        const dbActive = tx.keys.find((m) => m.active)?.id ?? null;
        const next = withKeys(current, incoming, null);
        // Nothing changes in the database: the other nodes need not reload.
        return { next: withKeys(next, [], dbActive !== null && next.keys.has(dbActive) ? dbActive : null), keyId: null, announce: false };
      });
      return incoming.map((k) => k.id);
    },

    attachSharing(problem) {
      sharingProblem = problem;
    },

    subscriber: {
      onEvents(events: readonly ClusterEvent[]) {
        if (events.some((e) => e.entity === 'keyring'))
          void manager.reload().catch((err) => logger.warn({ err: (err as Error).message }, 'could not reload the keyring'));
      },
      onResync(_reason: string) {
        void manager.reload().catch((err) => logger.warn({ err: (err as Error).message }, 'could not reload the keyring'));
      },
    },

    async status() {
      metadata = await readKeyMetadata(store.db);
      // Every node adds its counts to the same rows: show the cluster's sum, not this process's view at its last reload.
      for (const m of metadata) counter.setPersisted(m.id, m.encryptions);
      return status();
    },

    async generate() {
      requireStrategy('cluster', 'Generating a key');
      let made: KeyringKey | undefined;
      await change('generate', async (tx, current) => {
        made = freshKey(current);
        await tx.insertKey({ id: made.id, kcv: keyCheckValue(made.key), created_at: made.created_at });
        return { next: withKeys(current, [made], undefined), keyId: made.id };
      });
      return { id: made!.id, key: made!.key.toString('base64') };
    },

    async activate(id) {
      requireStrategy('cluster', 'Activating a key');
      requireHeld(id);
      await change('activate', async (tx, current) => {
        if (!tx.keys.some((m) => m.id === id)) {
          const key = current.keys.get(id)!;
          await tx.insertKey({ id, kcv: keyCheckValue(key.key), created_at: key.created_at });
        }
        await tx.activate(id, nowSeconds());
        return { next: withKeys(current, [], id), keyId: id };
      });
    },

    async exportKeyring() {
      const publicKey = material?.publicKeyPem ?? (config.keyring_public_key ? readPem(config.keyring_public_key, 'keyring_public_key') : null);
      if (!publicKey) throw new PortcullisError('PC_KEYRING_NOT_CONFIGURED', { message: 'Export needs keyring_public_key' });
      const current = holder.current();
      return { data: wrapKeyring({ keys: [...current.keys.values()], active: current.active }, publicKey, { purpose: 'export', nowSeconds: nowSeconds() }) };
    },

    async importKeyring(data, options = {}) {
      requireStrategy('cluster', 'Importing keys');
      const privateKey = material?.privateKeyPem ?? null;
      if (!privateKey) throw new PortcullisError('PC_KEYRING_NOT_CONFIGURED', { message: 'Import needs keyring_private_key' });
      const opened = unwrapKeyring(data, privateKey, { purpose: 'export' });
      const activate = options.activate ? opened.active : null;
      const added = await merge('import', opened.keys, activate);
      return { imported: added, existing: opened.keys.map((k) => k.id).filter((id) => !added.includes(id)) };
    },

    async importRaw(input) {
      requireStrategy('cluster', 'Importing keys');
      if (!isKeyId(input.id))
        throw new PortcullisError('PC_VALIDATION_FAILED', {
          message: 'id must be 8 characters of [A-Za-z0-9]',
          fields: [{ path: 'id', message: 'must be 8 characters of [A-Za-z0-9]' }],
        });
      const key = Buffer.from(input.key, 'base64');
      if (key.length !== KEY_BYTES || key.toString('base64') !== input.key.replace(/\s+/g, '')) {
        throw new PortcullisError('PC_VALIDATION_FAILED', {
          message: 'key must be 32 bytes in base64',
          fields: [{ path: 'key', message: 'must be 32 bytes in base64' }],
        });
      }
      await merge('import', [{ id: input.id, key, created_at: nowSeconds() }], null);
    },

    async remove(id, options = {}) {
      requireStrategy('cluster', 'Removing a key');
      metadata = await readKeyMetadata(store.db);
      if (!metadata.some((m) => m.id === id) && !held().has(id)) throw new PortcullisError('PC_KEYRING_KEY_UNKNOWN', { message: `No keyring key ${id}` });
      if (holder.current().active === id || activeMeta()?.id === id) {
        throw new PortcullisError('PC_KEYRING_KEY_IN_USE', { message: `Key ${id} is the active key: activate another key first` });
      }
      if (!options.force) {
        const usage = await countKeyringUsage(store);
        const used = usage.keys[id]?.total ?? 0;
        if (used > 0) {
          throw new PortcullisError('PC_KEYRING_KEY_IN_USE', {
            message: `Key ${id} still encrypts ${used} stored value${used > 1 ? 's' : ''}: run a rewrap (POST /keyring/rewrap) first, or remove with force (those values become unreadable)`,
          });
        }
      }
      await change('remove', async (tx, current) => {
        await tx.deleteKey(id);
        return { next: withoutKey(current, id), keyId: id, removed: id };
      });
      logger.warn({ key: id, forced: Boolean(options.force) }, 'keyring key removed');
    },

    async usage(): Promise<KeyringUsage> {
      lastUsage = await countKeyringUsage(store);
      return lastUsage;
    },

    snapshot() {
      const active = activeMeta();
      return {
        keys: metadata.map((m) => ({ id: m.id, encryptions: counter.total(m.id) })),
        activeSince: active && holder.current().active === active.id ? (active.activated_at ?? active.created_at) : null,
        values: lastUsage ? Object.fromEntries(Object.entries(lastUsage.keys).map(([id, u]) => [id, u.total])) : null,
        missing: missingIds().length,
      };
    },

    async recover(privateKeyPem) {
      const blob = await readBlob(store, RECOVERY_BLOB);
      if (!blob)
        throw new PortcullisError('PC_KEYRING_NOT_CONFIGURED', {
          message: 'The database holds no recovery copy of the keyring (keyring_recovery_public_key was not set when keys were made)',
        });
      const opened = unwrapKeyring(blob, privateKeyPem, { purpose: 'recovery' });
      metadata = await readKeyMetadata(store.db);
      // Only keys the database already knows (same id and check value): the copy is sealed, not
      // signed, so anyone with the public recovery key and write access could plant one.
      const known = new Map(metadata.map((m) => [m.id, m.kcv]));
      const usable = opened.keys.filter((k) => known.get(k.id) === keyCheckValue(k.key) && conflicts([k]).length === 0);
      const ignored = opened.keys.filter((k) => !usable.includes(k)).map((k) => k.id);
      if (ignored.length) logger.warn({ ignored }, 'keyring recovery: keys in the copy that the database does not list were ignored');
      if (usable.length > 0) await merge('recover', usable, null);
      const recovered = usable.map((k) => k.id);
      return { recovered, not_recovered: metadata.map((m) => m.id).filter((id) => !held().has(id)) };
    },

    async vaultSync() {
      requireStrategy('vault', 'Syncing from Vault');
      await adoptVault('vault-sync', await loadVault());
      return status();
    },

    startRewrap: (): Promise<RewrapProgress> => rewrapper.start(),
    rewrapProgress: (): Promise<RewrapProgress> => rewrapper.progress(),
    resumeRewrap: () => rewrapper.resume(),

    async close() {
      closed = true;
      clearInterval(timer);
      clearInterval(usageTimer);
      await counting;
      await rewrapper.stop();
      await rotating;
      await flush();
    },
  };
  return manager;
}
