import type { DeadCause, StepOutcome } from './types.ts';

/**
 * What becomes of a step after one attempt, as plain data: the dispatcher computes it here and
 * records it under its lease. Backoff is exponential with full jitter (a random delay between 0
 * and the capped exponential), so steps that failed together during an outage do not all come
 * back in the same instant; a Retry-After from the system is a floor under that delay.
 */
export interface BackoffOptions {
  /** Ceiling of the first retry's delay. */
  initialDelayMs: number;
  /** Ceiling of any delay. */
  maxDelayMs: number;
  /** Growth of the ceiling per attempt. */
  factor: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  factor: 2,
});

/** Stored reasons are for operators: enough to act on, never an unbounded upstream body. */
const REASON_LIMIT = 1_000;

export type Settlement =
  | { state: 'succeeded'; externalId: string | null; result: unknown }
  | { state: 'retry_scheduled'; nextAttemptAt: number; lastError: string; attemptNotCounted?: boolean }
  | { state: 'dead'; deadCause: Exclude<DeadCause, 'dependency'>; lastError: string };

export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

/**
 * `attempts` counts the attempt that just ended. A transient failure on the last allowed attempt
 * is dead (`exhausted`); a permanent one is dead at once (`rejected`) whatever attempts remain,
 * because sending the same request again cannot change the system's answer. An attempt that was
 * never sent (an open circuit) does not count.
 */
export function settle(
  outcome: StepOutcome,
  step: { attempts: number; maxAttempts: number },
  now: number,
  backoff: BackoffOptions,
  random?: () => number,
): Settlement {
  if (outcome.ok) return { state: 'succeeded', externalId: outcome.externalId ?? null, result: outcome.result ?? null };
  const lastError = outcome.reason.slice(0, REASON_LIMIT) || 'no reason given';
  if (outcome.permanent) return { state: 'dead', deadCause: 'rejected', lastError };
  if (outcome.notSent) {
    // Nothing reached the system, so no attempt is spent; spread the waiting steps over half the
    // wait again, so they do not all come back at the very moment the circuit lets one probe through.
    const wait = outcome.retryAfterMs ?? backoffDelay(step.attempts, backoff, random);
    return { state: 'retry_scheduled', nextAttemptAt: now + wait * (1 + 0.5 * (random ?? Math.random)()), lastError, attemptNotCounted: true };
  }
  if (step.attempts >= step.maxAttempts) return { state: 'dead', deadCause: 'exhausted', lastError };
  const delay = Math.max(backoffDelay(step.attempts, backoff, random), outcome.retryAfterMs ?? 0);
  return { state: 'retry_scheduled', nextAttemptAt: now + delay, lastError };
}
