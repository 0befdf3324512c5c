/**
 * The IPC messages between a `--workers` primary and its workers (node:cluster, `advanced`
 * serialization so key material travels as Buffers, never as text, never through a file).
 * Every message carries `pc` so a stray message (prom-client's own, a library's) is ignored.
 */
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { KeyringKey } from '../../keyring/keyring.js';
import type { ProxyAddresses } from '../node.js';

/** Primary → worker. */
export type ToWorker =
  | { readonly pc: 'keyring'; readonly keys: readonly KeyringKey[] }
  | { readonly pc: 'metrics'; readonly id: number }
  /** Read the event table now: the primary just wrote (read-your-writes through the node's Admin API). */
  | { readonly pc: 'poll' }
  | { readonly pc: 'shutdown' };

/** Worker → primary. */
export type ToPrimary =
  /** The worker listens for messages: the primary answers with the keyring. */
  | { readonly pc: 'hello' }
  | { readonly pc: 'serving'; readonly addresses: ProxyAddresses }
  | { readonly pc: 'applied'; readonly through: number }
  | { readonly pc: 'metrics'; readonly id: number; readonly metrics: readonly MetricObjectWithValues<MetricValue<string>>[] }
  | { readonly pc: 'failed'; readonly message: string };

const TO_WORKER = new Set(['keyring', 'metrics', 'poll', 'shutdown']);
const TO_PRIMARY = new Set(['hello', 'serving', 'applied', 'metrics', 'failed']);

export function isToWorker(message: unknown): message is ToWorker {
  return typeof message === 'object' && message !== null && TO_WORKER.has((message as { pc?: unknown }).pc as string);
}

export function isToPrimary(message: unknown): message is ToPrimary {
  return typeof message === 'object' && message !== null && TO_PRIMARY.has((message as { pc?: unknown }).pc as string);
}
