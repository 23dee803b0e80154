import {
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  fullJitterGenerator,
  handleWhen,
  type CircuitBreakerPolicy,
  type IBackoff,
} from 'cockatiel';
import type { NormalizedConnector } from '../connectors/normalize.ts';
import { TransportError } from './client.ts';
import type { UpstreamRequest, UpstreamResponse } from './types.ts';

/**
 * The cockatiel policies of one connector, built once and shared by all its calls, and the
 * retry rules as data. upstream.ts composes them; nothing here sends a request.
 */

/** What one attempt that reached the backend produced; the breaker judges it by status. */
export interface Answered {
  response: UpstreamResponse;
  /** The OAuth2 token the call carried, if any. */
  token: string | undefined;
}

/**
 * Counts network errors, timeouts and 5xx answers, not 4xx or 429 (the backend is up and
 * answering). A timeout caused by the caller's deadline rather than the connector's own
 * `requestMs` is not the backend's fault and is not counted. Open: calls fail with
 * BrokenCircuitError before reaching the quota. After `halfOpenAfterMs` one probe goes through
 * (cockatiel holds the other calls until it settles); its success closes the circuit.
 */
export function createBreaker(connector: NormalizedConnector): CircuitBreakerPolicy {
  const failures = handleWhen((error) => error instanceof TransportError && !error.byDeadline).orWhenResult(
    (result) => (result as Answered).response.status >= 500,
  );
  return circuitBreaker(failures, {
    halfOpenAfter: connector.breaker.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(connector.breaker.consecutiveFailures),
  });
}

export type RetryReason = { kind: 'status'; status: number; retryAfterMs: number | undefined } | { kind: 'timeout' | 'network' };

const RETRIED_STATUSES = new Set([429, 502, 503, 504]);

export function isRetryable(reason: RetryReason): boolean {
  return reason.kind !== 'status' || RETRIED_STATUSES.has(reason.status);
}

/** One call's retry budget: `delayAfter` answers how long to wait, or undefined to give up. */
export interface RetryBudget {
  delayAfter(reason: RetryReason, now?: number): number | undefined;
}

/**
 * Retry rules:
 * - only idempotent calls, only network errors, timeouts, 429, 502, 503 and 504;
 * - at most `retry.attempts` retries after the first attempt;
 * - exponential backoff from `initialDelayMs`, capped at `maxDelayMs`, with full jitter;
 * - a Retry-After on a 429 or 503 replaces the backoff;
 * - no wait may reach past `request.deadline`: a delay that does not fit gives up at once.
 *   Without a deadline, a Retry-After longer than one whole request (`requestMs`, or
 *   `maxDelayMs` if larger) gives up too, rather than parking the caller indefinitely.
 */
export function createRetryPlan(connector: NormalizedConnector) {
  const { attempts, initialDelayMs, maxDelayMs } = connector.retry;
  const backoff = new ExponentialBackoff({ generator: fullJitterGenerator, initialDelay: initialDelayMs, maxDelay: maxDelayMs });
  const longestUnboundedWait = Math.max(connector.timeouts.requestMs, maxDelayMs);

  return {
    begin(request: Pick<UpstreamRequest, 'idempotent' | 'deadline'>): RetryBudget {
      let retries = 0;
      let step: IBackoff<unknown> | undefined;
      return {
        delayAfter(reason, now = Date.now()) {
          if (!request.idempotent || retries >= attempts || !isRetryable(reason)) return undefined;
          step = step ? step.next(undefined) : backoff.next();
          const told = reason.kind === 'status' && (reason.status === 429 || reason.status === 503) ? reason.retryAfterMs : undefined;
          const delay = told ?? step.duration;
          if (request.deadline !== undefined ? now + delay >= request.deadline : delay > longestUnboundedWait) return undefined;
          retries++;
          return delay;
        },
      };
    },
  };
}

export type RetryPlan = ReturnType<typeof createRetryPlan>;
