/**
 * Sends a request upstream through its chain's upstream hooks, for routes with a plugin that sets
 * upstream credentials or signs requests (upstream-auth); other routes never come here and keep
 * the plain `exchange.forward`.
 *
 * - A body with a Content-Length up to the chain's `buffersBodyUpTo` is read whole first, so a
 *   hook can hash it and the request can be sent again; any other body streams.
 * - `beforeUpstream` runs right before each attempt; a refusal answers the client instead.
 * - With a body that can be sent again (none, or buffered) and a `retryUpstream` hook, the first
 *   attempt's answer goes through a RetryableAttempt: the hooks may have it discarded and the
 *   request sent once more. A streamed body is never retried: its bytes are gone.
 */
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { UpstreamRequest } from '../plugins/plugin.js';
import type { ProxyContext } from './proxy-context.js';
import type { UpstreamTarget } from './upstream-pool.js';
import { upstreamRequestTarget, type UpstreamExchange } from './upstream-exchange.js';
import { runBeforeUpstream, runRetryHooks, writeAccessOutcome } from './plugin-runner.js';
import { RetryableAttempt } from './retryable-attempt.js';
import { readBody } from './body-fields.js';

export interface HookedForwardDeps {
  readonly logger: Logger;
  /** Answers the unexpected (a hook that threw) with 500. */
  failed(err: unknown): void;
}

/** Sends the request of `ctx` upstream through the chain's upstream hooks. */
export async function forwardThroughHooks(
  ctx: ProxyContext,
  res: ServerResponse,
  exchange: UpstreamExchange,
  target: UpstreamTarget,
  stream: Readable | null,
  deps: HookedForwardDeps,
): Promise<void> {
  const body = await bodyToSend(ctx, stream);
  if (exchange.clientGone) return;
  const replayable = body === null || Buffer.isBuffer(body);
  const first = await runBeforeUpstream(ctx, attempt(ctx, replayable ? body : 'streamed', 1));
  if (exchange.clientGone) return;
  if (first.kind !== 'continue') {
    // A streamed body was left unread: the connection cannot carry another request.
    if (!replayable) res.shouldKeepAlive = false;
    return writeAccessOutcome(res, ctx, first);
  }
  if (!replayable || ctx.plugins.retry.length === 0) return exchange.forward(target, body);

  const resend = async () => {
    const second = await runBeforeUpstream(ctx, attempt(ctx, body, 2));
    if (exchange.clientGone) return;
    if (second.kind !== 'continue') return writeAccessOutcome(res, ctx, second);
    exchange.forward(target, body);
  };
  const attemptHandler = new RetryableAttempt(exchange, {
    decide: (status) => runRetryHooks(ctx, status),
    resend: () => void resend().catch(deps.failed),
    failed: (err) => deps.logger.error({ request_id: ctx.requestId, err }, 'a retryUpstream hook failed: the upstream answer is relayed'),
  });
  exchange.forward(target, body, attemptHandler);
}

function attempt(ctx: ProxyContext, body: UpstreamRequest['body'], n: 1 | 2): UpstreamRequest {
  return { method: ctx.method, target: upstreamRequestTarget(ctx), body, attempt: n };
}

/** The body as it goes upstream: read whole when the chain asks and its length allows, else as it came. */
async function bodyToSend(ctx: ProxyContext, stream: Readable | null): Promise<Buffer | Readable | null> {
  const limit = ctx.plugins.buffersBodyUpTo;
  if (stream === null || limit <= 0) return stream;
  const length = ctx.upstreamHeaders['content-length'];
  const size = typeof length === 'string' ? Number(length) : Number.NaN;
  // Chunked, or longer than the chain buffers: it streams.
  if (!(size <= limit)) return stream;
  const read = await readBody(stream, size);
  // The HTTP parser never delivers more than the declared length (and inspected bodies are exact).
  if (read.kind !== 'ok') throw new Error('request body longer than its Content-Length');
  return read.buffer;
}
