/**
 * Runs the plugin phases of one request. Access handlers run in chain order; each returns an
 * outcome: `continue` goes on, `authenticated` records the consumer and swaps in that consumer's
 * chain for the rest of the request, `reject`/`respond` end the pipeline. Handlers may be sync or
 * async; the loop stays synchronous until one returns a promise. Upstream hooks run right before
 * each attempt to send the request, and decide whether an answer is retried. Response handlers
 * see the upstream response head before it is written.
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { AccessOutcome, ResponseHead, UpstreamOutcome, UpstreamRequest } from '../plugins/plugin.js';
import { CONTINUE } from '../plugins/plugin.js';
import type { RuntimeState } from './runtime-state.js';
import type { ProxyContext } from './proxy-context.js';
import { indexAfter, type PluginEntry } from './plugin-chain.js';
import { writeJsonError } from './json-error.js';
import { isGrpcCall } from './grpc/grpc-call.js';
import { writeGrpcStatus } from './grpc/grpc-error.js';
import { grpcStatusFor } from './grpc/grpc-status.js';

/**
 * Runs the access phase. Resolves to `continue` when the request should go upstream, or to the
 * `reject`/`respond` outcome that answers it. Throws (or rejects) only when a plugin threw.
 */
export function runAccessPhase(ctx: ProxyContext, state: RuntimeState): AccessOutcome | Promise<AccessOutcome> {
  if (ctx.plugins.access.length === 0) return CONTINUE;
  return runFrom(ctx, state, 0, ctx.plugins.skipsPreflight && isPreflight(ctx.req.method, ctx.req.headers));
}

function runFrom(ctx: ProxyContext, state: RuntimeState, from: number, preflight: boolean): AccessOutcome | Promise<AccessOutcome> {
  for (let i = from; i < ctx.plugins.access.length; i++) {
    const entry = ctx.plugins.access[i]!;
    if (preflight && !entry.runsOnPreflight) continue;
    const outcome = entry.instance.access!(ctx);
    if (isPromise(outcome)) return outcome.then((settled) => afterAsync(ctx, state, entry, i, settled, preflight));
    if (outcome.kind === 'continue') continue;
    if (outcome.kind !== 'authenticated') return outcome;
    i = authenticate(ctx, state, entry, outcome) - 1;
  }
  return CONTINUE;
}

function afterAsync(ctx: ProxyContext, state: RuntimeState, entry: PluginEntry, index: number, outcome: AccessOutcome, preflight: boolean) {
  if (outcome.kind === 'continue') return runFrom(ctx, state, index + 1, preflight);
  if (outcome.kind !== 'authenticated') return outcome;
  return runFrom(ctx, state, authenticate(ctx, state, entry, outcome), preflight);
}

/** Records the consumer, swaps in its chain, and returns where to resume in that chain. */
function authenticate(ctx: ProxyContext, state: RuntimeState, entry: PluginEntry, outcome: Extract<AccessOutcome, { kind: 'authenticated' }>): number {
  ctx.authenticated = outcome.credentialId === undefined ? { consumer: outcome.consumer } : { consumer: outcome.consumer, credentialId: outcome.credentialId };
  ctx.plugins = state.pluginsForConsumer(ctx.match, outcome.consumer.id);
  return indexAfter(ctx.plugins, entry);
}

/**
 * Runs the `beforeUpstream` hooks in chain order, right before an attempt is sent. Resolves to
 * `continue`, or to the first refusal (the later hooks then do not run). Stays synchronous until
 * a hook returns a promise.
 */
export function runBeforeUpstream(ctx: ProxyContext, request: UpstreamRequest, from = 0): UpstreamOutcome | Promise<UpstreamOutcome> {
  const list = ctx.plugins.upstream;
  for (let i = from; i < list.length; i++) {
    const outcome = list[i]!.instance.beforeUpstream!(ctx, request);
    if (isPromise(outcome)) return outcome.then((settled) => (settled.kind === 'continue' ? runBeforeUpstream(ctx, request, i + 1) : settled));
    if (outcome.kind !== 'continue') return outcome;
  }
  return CONTINUE;
}

/**
 * Asks every `retryUpstream` hook whether the first attempt's answer `status` should be retried:
 * true when one says so. Synchronous (the answer is not held) when every hook answers at once.
 */
export function runRetryHooks(ctx: ProxyContext, status: number): boolean | Promise<boolean> {
  const list = ctx.plugins.retry;
  let retry = false;
  let pending: Promise<boolean>[] | null = null;
  // Every hook is asked, even once one said yes: each may have its own credentials to renew.
  for (let i = 0; i < list.length; i++) {
    const answer = list[i]!.instance.retryUpstream!(ctx, status);
    if (answer === true) retry = true;
    else if (answer !== false) (pending ??= []).push(answer);
  }
  if (pending === null) return retry;
  return Promise.all(pending).then((answers) => retry || answers.includes(true));
}

/** Runs the response phase on the upstream response head, in chain order. */
export function runResponsePhase(ctx: ProxyContext, head: ResponseHead): void {
  const list = ctx.plugins.response;
  for (let i = 0; i < list.length; i++) list[i]!.instance.response!(ctx, head);
}

/**
 * Answers the client with a terminal access outcome: `reject` as the JSON error (with its
 * headers), `respond` as given. Headers plugins added to `ctx.responseHeaders` are included.
 */
export function writeAccessOutcome(res: ServerResponse, ctx: ProxyContext, outcome: Extract<AccessOutcome, { kind: 'reject' | 'respond' }>): void {
  if (outcome.kind === 'reject') {
    const headers = outcome.headers ? { ...ctx.responseHeaders, ...outcome.headers } : ctx.responseHeaders;
    writeJsonError(res, { status: outcome.status, code: outcome.code, message: outcome.message, headers }, ctx.requestId);
    return;
  }
  // A plugin's own answer (request-termination) to a gRPC call: its status in the gRPC form.
  if (isGrpcCall(res))
    return writeGrpcStatus(res, grpcStatusFor(outcome.status), `HTTP ${outcome.status}`, { ...ctx.responseHeaders, 'x-request-id': ctx.requestId });
  const body = outcome.body ?? '';
  const headers: OutgoingHttpHeaders = {
    ...ctx.responseHeaders,
    ...outcome.headers,
    'content-length': Buffer.byteLength(body),
    'x-request-id': ctx.requestId,
  };
  res.writeHead(outcome.status, headers);
  res.end(body);
}

/** A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method. */
export function isPreflight(method: string | undefined, headers: IncomingHttpHeaders): boolean {
  return method === 'OPTIONS' && headers.origin !== undefined && headers['access-control-request-method'] !== undefined;
}

function isPromise<T extends AccessOutcome>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Promise<T>).then === 'function';
}
