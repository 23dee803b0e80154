import { isInterchangeError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { SqlStore } from '../store/sql-store.ts';
import { recordOutcome, type ClaimedStep } from './leases.ts';
import { settle, type BackoffOptions } from './retry.ts';
import type { DeadLetterAlert, OperationStatus, StepExecutor, StepOutcome } from './types.ts';

/**
 * One attempt of one claimed step, from the executor call to the committed outcome and what
 * follows it (metrics, logs, the alert, the change notification). Side effects after the commit
 * are at most once: a process that dies between the commit and the alert loses that alert,
 * never a write.
 */
export interface AttemptContext {
  store: SqlStore;
  executor: StepExecutor;
  owner: string;
  backoff: BackoffOptions;
  metrics: Metrics | undefined;
  logger: Logger | undefined;
  alert: ((alert: DeadLetterAlert) => void | Promise<void>) | undefined;
  onChange: ((change: { operationId: string; status: OperationStatus }) => void) | undefined;
}

export async function runAttempt(context: AttemptContext, step: ClaimedStep, signal: AbortSignal): Promise<void> {
  const outcome = await execute(context, step, signal);
  const settlement = settle(outcome, step, Date.now(), context.backoff);
  const recorded = await recordOutcome(context.store, step, context.owner, settlement, Date.now());
  const label = recorded.fenced ? 'fenced' : settlement.state === 'retry_scheduled' ? 'retried' : settlement.state;
  context.metrics?.writes.inc({ connector: step.connector, outcome: label });
  const fields = { operationId: step.operationId, step: step.name, connector: step.connector, attempt: step.attempts, owner: context.owner };
  if (recorded.fenced) {
    context.logger?.warn(fields, 'write step outcome discarded: the lease was lost to another dispatcher');
    return;
  }
  if (settlement.state !== 'succeeded') {
    context.logger?.warn({ ...fields, state: settlement.state, reason: settlement.lastError }, 'write step failed');
  }
  await afterChange(context, { operationId: step.operationId, status: recorded.status, alert: recorded.alert });
}

export async function afterChange(
  context: AttemptContext,
  change: { operationId: string; status: OperationStatus; alert: DeadLetterAlert | undefined },
): Promise<void> {
  context.onChange?.({ operationId: change.operationId, status: change.status });
  if (!change.alert) return;
  context.logger?.error({ ...change.alert }, 'write step dead-lettered');
  try {
    await context.alert?.(change.alert);
  } catch (error) {
    context.logger?.error({ err: error, operationId: change.alert.operationId }, 'the dead-letter alert callback failed');
  }
}

/** The executor's answer; a throw is a transient failure whose stored reason leaks nothing. */
async function execute(context: AttemptContext, step: ClaimedStep, signal: AbortSignal): Promise<StepOutcome> {
  try {
    return await context.executor.execute({
      operationId: step.operationId,
      stepId: step.id,
      step: step.name,
      kind: step.kind,
      connector: step.connector,
      endpoint: step.endpoint,
      args: step.args,
      idempotencyKey: step.idempotencyKey,
      attempt: step.attempts,
      dependencies: step.dependencies,
      signal,
    });
  } catch (error) {
    // Only our own errors carry a message known to be safe to store and show; others go to the log.
    const reason = isInterchangeError(error) ? error.message : `the executor failed (${error instanceof Error ? error.name : typeof error})`;
    context.logger?.warn({ err: error, stepId: step.id }, 'write step executor threw');
    return { ok: false, permanent: false, reason };
  }
}
