/**
 * The IPC messages between a `--workers` primary and its workers (node:cluster, `advanced`
 * serialization so key material travels as Buffers, never as text, never through a file).
 * Every message carries `pc` so a stray message (prom-client's own, a library's) is ignored.
 */
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { KeyringKey } from '../../keyring/keyring.js';
import type { ProxyAddresses } from '../node.js';
import type { SharedOutcome } from '../../plugins/basic-auth/failure-limiter.js';

/** A basic-auth outcome one worker decided, for the others' password-guessing limits. */
export interface AttemptMessage extends SharedOutcome {
  readonly pc: 'attempt';
}

/** Primary → worker. */
export type ToWorker =
  | { readonly pc: 'keyring'; readonly keys: readonly KeyringKey[] }
  | { readonly pc: 'metrics'; readonly id: number }
  /** Read the event table now: the primary just wrote (read-your-writes through the node's Admin API). */
  | { readonly pc: 'poll' }
  /** Sent before the first keyring: the secret of basic-auth's keyed digests, one per node (see worker-pool.ts). */
  | { readonly pc: 'digest-key'; readonly key: Uint8Array }
  | AttemptMessage
  | { readonly pc: 'shutdown' };

/** Worker → primary. */
export type ToPrimary =
  /** The worker listens for messages: the primary answers with the keyring. */
  | { readonly pc: 'hello' }
  | { readonly pc: 'serving'; readonly addresses: ProxyAddresses }
  | { readonly pc: 'applied'; readonly through: number }
  | { readonly pc: 'metrics'; readonly id: number; readonly metrics: readonly MetricObjectWithValues<MetricValue<string>>[] }
  | AttemptMessage
  | { readonly pc: 'failed'; readonly message: string };

const TO_WORKER = new Set(['keyring', 'metrics', 'poll', 'digest-key', 'attempt', 'shutdown']);
const TO_PRIMARY = new Set(['hello', 'serving', 'applied', 'metrics', 'attempt', 'failed']);

export function isToWorker(message: unknown): message is ToWorker {
  return typeof message === 'object' && message !== null && TO_WORKER.has((message as { pc?: unknown }).pc as string);
}

export function isToPrimary(message: unknown): message is ToPrimary {
  return typeof message === 'object' && message !== null && TO_PRIMARY.has((message as { pc?: unknown }).pc as string);
}

/** True for a well-formed `attempt` (bounded strings, a known outcome): anything else is dropped. */
export function isAttempt(message: { readonly pc: string }): message is AttemptMessage {
  const m = message as Partial<AttemptMessage>;
  return (
    m.pc === 'attempt' &&
    (m.outcome === 'failure' || m.outcome === 'success') &&
    typeof m.subject === 'string' &&
    m.subject.length <= 256 &&
    typeof m.clientAddress === 'string' &&
    m.clientAddress.length <= 256
  );
}

/** The message for `shared`, with nothing else in it. */
export function attemptMessage(shared: SharedOutcome): AttemptMessage {
  return { pc: 'attempt', outcome: shared.outcome, subject: shared.subject, clientAddress: shared.clientAddress };
}
