/**
 * The asking side of the keyring exchange. While this process lacks keys the database lists, it
 * keeps one request in `keyring_exchange` under an ephemeral RSA key pair made in memory (never
 * written anywhere), opens the answer with it, and adopts the keys only when every one matches the
 * key check value the database lists (a forged or damaged answer adopts nothing and is logged).
 * After `timeout` ms without the keys it reports them as not shared (one error line, then
 * `notShared()`), and keeps asking so a holder started later still completes it.
 */
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import type { KeyringManager } from '../keyring/keyring-manager.js';
import { unwrapKeyring } from '../keyring/keyring-wrap.js';
import { GENERATED_RSA_BITS } from '../keyring/rsa-key-pair.js';
import { deleteRequest, putRequest, readRequest, touchRequest } from './keyring-exchange-table.js';

export interface ShareRequesterDeps {
  readonly store: Store;
  readonly keyring: Pick<KeyringManager, 'missing' | 'adoptShared'>;
  readonly logger: Logger;
  readonly nodeName: string;
  /** keyring_share_timeout: how long to ask before reporting the keys as not shared, in ms. */
  readonly timeout: number;
  /** How often the request's time is renewed, in ms (stale requests are purged by the holders). */
  readonly renewInterval: number;
  readonly now: () => number;
}

export interface ShareRequester {
  /** One round: ask, read the answer, adopt. Never throws (failures are logged, the next round retries). */
  step(): Promise<void>;
  /** Makes the next ephemeral key pair ahead of need (in the background), so a key made elsewhere arrives without waiting for RSA key generation. */
  prepare(): void;
  /** True once the keys were missing for longer than the timeout (until they arrive). */
  notShared(): boolean;
  /** Withdraws the request (the process stops). */
  withdraw(): Promise<void>;
}

interface Pending {
  readonly publicKey: string;
  readonly privateKey: string;
  readonly wanted: readonly string[];
  readonly renewedAt: number;
}

const newPair = promisify(generateKeyPair);

export function createShareRequester(deps: ShareRequesterDeps): ShareRequester {
  const { store, keyring, logger, now } = deps;
  const me = store.nodeId;
  let pending: Pending | null = null;
  let since: number | null = null;
  let reported = false;

  // One pair made ahead, in memory only like the one in use: RSA-3072 generation takes from a few
  // hundred ms to seconds, most of a hand-over's time when made on demand.
  let spare: Promise<{ publicKey: string; privateKey: string }> | null = null;
  const makePair = () =>
    newPair('rsa', {
      modulusLength: GENERATED_RSA_BITS,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
  const prepare = () => {
    if (spare) return;
    const made = makePair();
    made.catch(() => (spare === made ? (spare = null) : null));
    spare = made;
  };
  const takePair = async () => {
    const pair = spare ?? makePair();
    spare = null;
    try {
      return await pair;
    } finally {
      prepare();
    }
  };

  const ask = async (wanted: readonly string[], reuse?: Pending) => {
    const pair = reuse ?? (await takePair());
    await putRequest(store, { requester: me, nodeName: deps.nodeName, publicKey: pair.publicKey, wanted }, now());
    pending = { publicKey: pair.publicKey, privateKey: pair.privateKey, wanted, renewedAt: now() };
    logger.info({ wanted }, 'keyring incomplete: asked the other nodes for the keys it lacks');
  };

  /** Opens an answer and adopts what it holds; false when it was refused (then a fresh request is made). */
  const adopt = async (answer: string, answeredBy: string | null, missing: readonly string[]): Promise<boolean> => {
    try {
      const opened = unwrapKeyring(answer, pending!.privateKey, { purpose: 'exchange' });
      const keys = opened.keys.filter((k) => missing.includes(k.id));
      try {
        const added = await keyring.adoptShared(keys);
        if (added.length) logger.info({ keys: added, from: answeredBy }, 'keyring keys received from another node (key check values match the database)');
      } finally {
        for (const k of opened.keys) if (!keys.includes(k)) k.key.fill(0);
      }
      return true;
    } catch (err) {
      const code = (err as { code?: string }).code;
      logger.error(
        { from: answeredBy, code, err: (err as Error).message },
        'keyring exchange: refused an answer from another node; nothing was adopted from it',
      );
      return false;
    }
  };

  const round = async () => {
    const missing = keyring.missing();
    if (missing.length === 0) {
      if (reported) logger.info('keyring complete again: the missing keys were handed over');
      reported = false;
      since = null;
      if (pending) await deleteRequest(store, me);
      pending = null;
      return;
    }
    since ??= now();
    if (!reported && now() - since >= deps.timeout) {
      reported = true;
      logger.error({ missing, waited_ms: now() - since }, notSharedText(missing));
    }
    if (!pending) return ask(missing);
    const row = await readRequest(store, me);
    // Gone (purged while this process could not renew it) or replaced: ask again under a new key.
    if (!row || row.public_key !== pending.publicKey) return ask(missing);
    if (row.answer !== null) {
      const accepted = await adopt(row.answer, row.answered_by, missing);
      const still = keyring.missing();
      if (still.length === 0) return round();
      return ask(still, accepted ? pending : undefined);
    }
    if (!sameIds(row.wanted, missing)) return ask(missing, pending);
    if (now() - pending.renewedAt >= deps.renewInterval) {
      if (await touchRequest(store, me, now())) pending = { ...pending, renewedAt: now() };
    }
  };

  let failing = false;
  return {
    async step() {
      try {
        await round();
        if (failing) logger.info('keyring exchange: the database answers again');
        failing = false;
      } catch (err) {
        if (!failing)
          logger.warn({ code: (err as { code?: string }).code, err: (err as Error).message }, 'keyring exchange: cannot ask for keys now; will retry');
        failing = true;
      }
    },
    prepare,
    notShared: () => reported && keyring.missing().length > 0,
    async withdraw() {
      if (pending) await deleteRequest(store, me).catch(() => {});
      pending = null;
    },
  };
}

/** The operator's guidance when no running node hands the keys over (log line and PC_KEYRING_NOT_SHARED). */
export function notSharedText(missing: readonly string[]): string {
  const keys = `key${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
  return (
    `No running node has handed over keyring ${keys}: no node that holds ${missing.length > 1 ? 'them' : 'it'} is running. ` +
    `Start a node that holds ${missing.length > 1 ? 'them' : 'it'} (this node then completes by itself), or import an export ` +
    `(portcullis keyring import <file>), or recover from the recovery key (POST /keyring/recover): see docs/keyring.md`
  );
}

function sameIds(a: unknown, b: readonly string[]): boolean {
  return Array.isArray(a) && a.length === b.length && b.every((id) => a.includes(id));
}
