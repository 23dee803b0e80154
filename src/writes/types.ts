import type { Args } from '../connectors/define.ts';

/**
 * The outbox protocol, written down as types: what a mutation asks for (a plan), what the
 * outbox remembers about each step (a union on `state`), what the dispatcher hands an executor
 * and what it must answer.
 */

/** One write to one system, as the fan-out planner declares it. */
export interface WriteStepPlan {
  /** Unique within the plan; names the step in `dependsOn`, in results and in its idempotency key. */
  name: string;
  connector: string;
  endpoint: string;
  args: Args;
  /**
   * Steps (declared earlier in the plan) that must have succeeded before this one is sent; their
   * results reach the executor as `dependencies`. Steps without dependencies run in parallel.
   */
  dependsOn?: readonly string[] | undefined;
  /** Attempts before the step is dead-lettered; default from the outbox options (5). */
  maxAttempts?: number | undefined;
  /** How to undo this step if a step declared after it fails permanently (see reconcile.ts). */
  compensate?: { endpoint: string; args: Args } | undefined;
}

export interface WritePlan {
  mutation: string;
  /** The client's idempotency key: a repeated plan with the same key returns the first operation. */
  idempotencyKey?: string | undefined;
  /** The mutation's input as the client sent it, kept for display and for comparing repeats. */
  input: unknown;
  steps: readonly WriteStepPlan[];
}

/**
 * Operation status, derived from its forward steps (compensation steps count through the step
 * they undo). A step "stands" while it is `succeeded`: the system holds the change. It is "open"
 * while `pending`, `in_flight` or `retry_scheduled`: it may still stand.
 *
 * - COMPLETED: every step stands.
 * - PARTIAL: some steps stand and some do not (yet): open, dead or compensated. An operation
 *   with an open step may still complete on its own; one without needs a replay.
 * - PENDING: no step stands yet and some are open: accepted, first attempts or retries running.
 * - FAILED: no step stands and none is open: everything is dead or compensated (the result of
 *   a permanent failure after its earlier steps were undone). Replay can revive it.
 */
export type OperationStatus = 'PENDING' | 'PARTIAL' | 'COMPLETED' | 'FAILED';

export type StepKind = 'forward' | 'compensation';

/** Why a step is dead: the system refused it, it ran out of attempts, or a step it needs is dead. */
export type DeadCause = 'rejected' | 'exhausted' | 'dependency';

interface WriteStepBase {
  id: string;
  operationId: string;
  name: string;
  kind: StepKind;
  /** For a compensation step: the forward step it undoes. */
  compensatesStepId: string | null;
  connector: string;
  endpoint: string;
  args: Args;
  dependsOn: readonly string[];
  /** Fixed when the step is created and sent on every attempt, so the system can deduplicate. */
  idempotencyKey: string;
  /** Attempts started so far (a claim counts as an attempt, even if the process then dies). */
  attempts: number;
  maxAttempts: number;
  compensation: { endpoint: string; args: Args } | null;
  createdAt: number;
  updatedAt: number;
}

export type WriteStepState =
  | { state: 'pending'; nextAttemptAt: number }
  | { state: 'in_flight'; leaseOwner: string; leaseExpiresAt: number; lastError: string | null }
  | { state: 'retry_scheduled'; nextAttemptAt: number; lastError: string }
  | { state: 'succeeded'; externalId: string | null; result: unknown }
  | { state: 'dead'; deadCause: DeadCause; lastError: string }
  | { state: 'compensated'; externalId: string | null; result: unknown };

export type WriteStep = WriteStepBase & WriteStepState;
export type StepStateName = WriteStepState['state'];

export interface WriteOperation {
  id: string;
  mutation: string;
  idempotencyKey: string | null;
  input: unknown;
  status: OperationStatus;
  createdAt: number;
  updatedAt: number;
  /** Forward steps in declared order, then compensation steps. */
  steps: WriteStep[];
}

/** What a dependent step receives from each step it depends on, by that step's name. */
export interface StepResult {
  externalId: string | null;
  result: unknown;
}

/** One attempt of one step, as the dispatcher hands it to the executor. */
export interface StepCall {
  operationId: string;
  stepId: string;
  step: string;
  kind: StepKind;
  connector: string;
  endpoint: string;
  args: Args;
  /** Send it the way the system expects (header, body field); the same on every attempt. */
  idempotencyKey: string;
  /** 1 on the first attempt. */
  attempt: number;
  dependencies: Readonly<Record<string, StepResult>>;
  /**
   * Aborted when this dispatcher's lease on the step expires: past that point another dispatcher
   * may send the step again, and this attempt's outcome will not be recorded.
   */
  signal: AbortSignal;
}

/**
 * The executor's answer. `permanent` failures (validation, 4xx other than 408/409/429) are not
 * retried; `reason` is the system's own explanation, stored and shown to operators, so it must
 * carry no secrets. An executor that throws is treated as a transient failure.
 */
export type StepOutcome =
  | { ok: true; externalId?: string | undefined; result?: unknown }
  | {
      ok: false;
      permanent: boolean;
      reason: string;
      retryAfterMs?: number | undefined;
      /** The request never left the gateway (the connector's circuit is open): the attempt is not counted. */
      notSent?: boolean | undefined;
    };

export interface StepExecutor {
  execute(call: StepCall): Promise<StepOutcome>;
}

/** Raised once per incident: the first step of an operation to die since it was created or replayed. */
export interface DeadLetterAlert {
  operationId: string;
  mutation: string;
  stepId: string;
  step: string;
  connector: string;
  endpoint: string;
  cause: Exclude<DeadCause, 'dependency'>;
  reason: string;
  attempts: number;
}

export function assertNever(value: never, what: string): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
