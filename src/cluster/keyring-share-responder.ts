/**
 * The answering side of the keyring exchange. A process holding every key a pending request wants
 * wraps those keys for the request's public key (the keyring envelope, purpose `exchange`:
 * RSA-OAEP-SHA256 around AES-256-GCM, with each key's check value) and writes the answer if no one
 * has yet. It never answers its own request, nor a public key that is not RSA of at least
 * MIN_RSA_BITS, nor a malformed wanted list; a refused request is logged once. It also purges
 * requests nobody renewed for `staleAfter` ms (their process is gone).
 *
 * The exchange trusts the database: whoever can write `keyring_exchange` can ask for the keys
 * (docs/keyring.md says so and how to limit it). What it guarantees is that nothing readable
 * crosses the database: a reader of the table learns only ids and check values.
 */
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import { isKeyId, type KeyringHolder, type KeyringKey } from '../keyring/keyring.js';
import { keyFingerprint, rsaKey, wrapKeyring } from '../keyring/keyring-wrap.js';
import { answerRequest, pendingRequests, purgeStaleRequests, type ExchangeRequest } from './keyring-exchange-table.js';

export interface ShareResponderDeps {
  readonly store: Store;
  readonly holder: KeyringHolder;
  readonly logger: Logger;
  /** Requests not renewed for this long are deleted, in ms. */
  readonly staleAfter: number;
  readonly now: () => number;
}

export interface ShareResponder {
  /** One round: answer what this process can. Never throws (the next round retries). */
  step(): Promise<void>;
}

const MAX_WANTED = 4096;
const MAX_PUBLIC_KEY_LENGTH = 16 * 1024;

export function createShareResponder(deps: ShareResponderDeps): ShareResponder {
  const { store, holder, logger, now } = deps;
  const me = store.nodeId;
  /** Requests refused already (requester + public key), so each is logged once. */
  const refused = new Set<string>();
  let lastPurge = 0;

  /** Why this request must not be answered, or the keys to hand over and for whom (null: this process lacks some). */
  const judge = (request: ExchangeRequest): string | { keys: KeyringKey[]; recipient: string } | null => {
    const wanted = request.wanted;
    if (!Array.isArray(wanted) || wanted.length === 0 || wanted.length > MAX_WANTED || !wanted.every(isKeyId)) return 'its list of wanted keys is malformed';
    if (request.public_key.length > MAX_PUBLIC_KEY_LENGTH) return 'its public key is too large';
    const keys = holder.current().keys;
    if (!wanted.every((id) => keys.has(id))) return null;
    const publicKey = rsaKey(request.public_key, 'public');
    if (typeof publicKey === 'string') return `its public key cannot be used: ${publicKey}`;
    return { keys: [...new Set(wanted)].map((id) => keys.get(id)!), recipient: keyFingerprint(publicKey).slice(0, 16) };
  };

  const answer = async (request: ExchangeRequest) => {
    const verdict = judge(request);
    if (verdict === null) return;
    if (typeof verdict === 'string') {
      const tag = `${request.requester}\n${request.public_key}`;
      if (!refused.has(tag)) {
        if (refused.size >= 1000) refused.clear(); // bounded: a flood of forged requests is logged again, not remembered forever
        refused.add(tag);
        logger.warn({ requester: request.requester, node: request.node_name }, `keyring exchange: refused to answer a request: ${verdict}`);
      }
      return;
    }
    const wrapped = wrapKeyring({ keys: verdict.keys, active: null }, request.public_key, { purpose: 'exchange', nowSeconds: Math.floor(now() / 1000) });
    const written = await answerRequest(store, { requester: request.requester, publicKey: request.public_key, answer: wrapped, answeredBy: me }, now());
    if (written) {
      logger.info(
        { requester: request.requester, node: request.node_name, keys: verdict.keys.map((k) => k.id), recipient: verdict.recipient },
        'keyring keys handed to another node (wrapped for its ephemeral key)',
      );
    }
  };

  let failing = false;
  return {
    async step() {
      try {
        if (now() - lastPurge >= deps.staleAfter / 4) {
          lastPurge = now();
          const purged = await purgeStaleRequests(store, now() - deps.staleAfter);
          if (purged) logger.info({ purged }, 'keyring exchange: removed requests of processes that are gone');
        }
        for (const request of await pendingRequests(store, me)) await answer(request);
        failing = false;
      } catch (err) {
        if (!failing)
          logger.warn({ code: (err as { code?: string }).code, err: (err as Error).message }, 'keyring exchange: cannot answer requests now; will retry');
        failing = true;
      }
    },
  };
}
