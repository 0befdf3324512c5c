/**
 * The first attempt of a request the proxy may send twice (its body is absent or buffered, and a
 * plugin of the chain has a `retryUpstream` hook). It stands between undici and the exchange for
 * that one dispatch: an answer no hook wants retried goes on to the exchange as it came; one a
 * hook may want retried is held (the upstream socket paused, nothing written to the client) while
 * the hooks decide. Retried, its body is discarded, never sent, and the request goes out again;
 * not retried, it is relayed whole, as if it had never been held.
 */
import type { Dispatcher } from 'undici';
import type { UpstreamExchange } from './upstream-exchange.js';

/** What the attempt asks of the pipeline that started it. */
export interface RetryPlan {
  /** The hooks' answer for `status` (see runRetryHooks). */
  decide(status: number): boolean | Promise<boolean>;
  /** Sends the request again (its `beforeUpstream` hooks first), straight to the exchange. */
  resend(): void;
  /** A hook threw or rejected: the answer is then relayed as it came. */
  failed(err: unknown): void;
}

/**
 * Bytes of a discarded answer read to keep its connection; past this the connection is cut
 * instead (a 401 body is small; a hostile one may not be).
 */
export const DISCARD_LIMIT = 64 * 1024;

/** The dispatch handler of a first attempt that may be retried. */
export class RetryableAttempt implements Dispatcher.DispatchHandler {
  readonly #exchange: UpstreamExchange;
  readonly #plan: RetryPlan;
  #discarding = false;
  #discarded = 0;

  constructor(exchange: UpstreamExchange, plan: RetryPlan) {
    this.#exchange = exchange;
    this.#plan = plan;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#exchange.onRequestStart(controller);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    let decision: boolean | Promise<boolean>;
    try {
      decision = this.#plan.decide(statusCode);
    } catch (err) {
      this.#plan.failed(err);
      decision = false;
    }
    if (decision === false) return this.#exchange.onResponseStart(controller, statusCode, headers);
    if (decision === true) return this.#retry(controller);
    controller.pause();
    decision
      .catch((err: unknown) => {
        this.#plan.failed(err);
        return false;
      })
      .then((retry) => {
        // The client left meanwhile: the exchange aborted this attempt and answered for it.
        if (this.#exchange.clientGone || controller.aborted) return;
        if (retry) return this.#retry(controller);
        this.#exchange.onResponseStart(controller, statusCode, headers);
        if (!controller.aborted) controller.resume();
      });
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.#discarding) return this.#exchange.onResponseData(controller, chunk);
    this.#discarded += chunk.length;
    if (this.#discarded > DISCARD_LIMIT) controller.abort(new Error('discarded answer too long'));
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: Record<string, string | string[] | undefined>): void {
    if (!this.#discarding) this.#exchange.onResponseEnd(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, err: Error): void {
    if (!this.#discarding) this.#exchange.onResponseError(controller, err);
  }

  /** Discards this answer (its bytes are read and dropped) and sends the request again. */
  #retry(controller: Dispatcher.DispatchController): void {
    this.#discarding = true;
    if (controller.paused) controller.resume();
    this.#plan.resend();
  }
}
