/**
 * `?wait=<duration>` on writes that must reach every node (revoke, regenerate, consumer and
 * service deletion): the handler runs its write inside `propagatedWrite`, which learns the id of
 * the cluster event the write committed (sent as the `Portcullis-Event-Id` header) and, when
 * asked, waits until every live node applied it. The write is committed either way: a timeout
 * answers 202 with the nodes still pending instead of pretending.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import Type from 'typebox';
import { PortcullisError } from '../errors/portcullis-error.js';
import type { Store } from '../store/store.js';
import type { Propagation, PropagationTracker } from '../cluster/propagation.js';

export const EVENT_ID_HEADER = 'portcullis-event-id';
/** The longest `wait` accepted, in ms. */
export const MAX_WAIT_MS = 60_000;

export const WaitQuery = Type.Object({
  wait: Type.Optional(
    Type.String({
      maxLength: 16,
      description: 'Answer once every live node applied the change, waiting at most this long: `250ms`, `2s` or an integer of ms (at most 60 s)',
    }),
  ),
});

export const NodeRefSchema = Type.Object(
  { instance_id: Type.String(), node_name: Type.String(), address: Type.Optional(Type.String()) },
  { description: 'A node process: its instance id (random at each start), name and listener address' },
);
export const PropagationSchema = Type.Object(
  {
    event: Type.Union([Type.Integer(), Type.Null()], { description: 'the cluster event the write recorded; null when it changed nothing' }),
    acknowledged: Type.Array(NodeRefSchema, { description: 'live nodes that applied it (the node that answered included)' }),
    pending: Type.Array(NodeRefSchema, { description: 'live nodes that had not applied it when the call returned' }),
    complete: Type.Boolean(),
  },
  { description: 'Which live nodes applied a write (`?wait=`)' },
);
/** The body of a 202: the write is committed, some live nodes had not applied it yet. */
export const PendingBody = Type.Object({
  propagation: PropagationSchema,
  committed: Type.Literal(true),
  message: Type.String(),
});

const DURATION = /^(0|[1-9][0-9]{0,5})(ms|s)?$/;

/** The `wait` query parameter in ms, undefined when absent; PC_VALIDATION_FAILED naming `wait` when malformed or above 60 s. */
export function parseWait(query: unknown): number | undefined {
  const value = (query as Record<string, unknown> | undefined)?.['wait'];
  if (value === undefined) return undefined;
  const match = typeof value === 'string' ? DURATION.exec(value) : null;
  const ms = match ? Number(match[1]) * (match[2] === 's' ? 1000 : 1) : NaN;
  if (!(ms <= MAX_WAIT_MS)) {
    const message = match ? 'must be at most 60s' : 'must be a duration: 250ms, 2s or an integer of milliseconds';
    throw new PortcullisError('PC_VALIDATION_FAILED', { message: `wait ${message}`, fields: [{ path: 'wait', message }] });
  }
  return ms;
}

export interface PropagatedWrite<T> {
  readonly value: T;
  /** Present when `wait` was asked: 200 when complete, 202 when some live node is pending. */
  readonly waited?: { readonly status: 200 | 202; readonly body: { propagation: Propagation | NoChange } & Partial<Record<'committed' | 'message', unknown>> };
}

type NoChange = Omit<Propagation, 'event'> & { event: null };

/**
 * Runs `write` (after checking `wait`, so a bad value writes nothing), sets the event id header,
 * and waits for the event when `wait` was given. A write that recorded no event (revoking an
 * unknown key) has nothing to propagate: complete at once, event null.
 */
export async function propagatedWrite<T>(
  deps: { readonly store: Store; readonly propagation: PropagationTracker },
  request: FastifyRequest,
  reply: FastifyReply,
  write: () => Promise<T>,
): Promise<PropagatedWrite<T>> {
  const waitMs = parseWait(request.query);
  const { value, events } = await deps.store.collectEvents(write);
  const event = events.at(-1)?.id;
  if (event !== undefined) reply.header(EVENT_ID_HEADER, String(event));
  if (waitMs === undefined) return { value };
  if (event === undefined) return { value, waited: { status: 200, body: { propagation: { event: null, acknowledged: [], pending: [], complete: true } } } };
  const propagation = await deps.propagation.awaitPropagation(event, waitMs);
  if (propagation.complete) return { value, waited: { status: 200, body: { propagation } } };
  const message = `The change is committed; ${propagation.pending.length} live node(s) had not applied it within ${waitMs} ms (they apply it when they read the event)`;
  return { value, waited: { status: 202, body: { propagation, committed: true, message } } };
}
