import type { ConnectorRuntime } from '../connectors/runtime.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { SqlStore } from '../store/sql-store.ts';
import { createDispatcher, type Dispatcher } from './dispatcher.ts';
import type { BackoffOptions } from './retry.ts';
import { createStepExecutor } from './executor.ts';
import { createOutbox, type Outbox, type ReplayResult } from './outbox.ts';
import type { OperationStatus, WriteOperation, WritePlan } from './types.ts';

/**
 * The write side as the rest of the gateway sees it: enqueue a plan (committed before this
 * resolves), read operations, replay dead letters. The dispatcher runs in every gateway process;
 * leases in SQL make sure each step is sent by one of them at a time.
 */
export interface WriteService {
  /**
   * Commits the plan (the client may now be told "accepted"), starts dispatching, and waits up to
   * `settleMs` for every step's first attempt, so the answer says COMPLETED or PARTIAL when the
   * systems answer quickly and PENDING only when they do not. Waiting never affects durability.
   */
  enqueue(plan: WritePlan): Promise<WriteOperation>;
  outbox: Outbox;
  replay(id: string): Promise<ReplayResult>;
  /** Subscribe to status changes of operations (for `writeOperationUpdated`). */
  onChange(listener: (change: { operationId: string; status: OperationStatus }) => void): () => void;
  start(): void;
  stop(): Promise<void>;
}

export function createWriteService(deps: {
  store: SqlStore;
  runtime: ConnectorRuntime;
  metrics: Metrics;
  logger: Logger;
  pollMs?: number;
  leaseMs?: number;
  /** How long a mutation waits for first attempts before answering; default 2 s. */
  settleMs?: number;
  backoff?: Partial<BackoffOptions>;
}): WriteService {
  const outbox = createOutbox(deps.store);
  const listeners = new Set<(change: { operationId: string; status: OperationStatus }) => void>();
  const dispatcher: Dispatcher = createDispatcher({
    store: deps.store,
    outbox,
    executor: createStepExecutor(deps.runtime),
    metrics: deps.metrics,
    logger: deps.logger,
    pollMs: deps.pollMs,
    leaseMs: deps.leaseMs,
    backoff: deps.backoff,
    // One alert per incident (the dispatcher dedupes); operators replay from the dead letters.
    alert: (a) =>
      deps.logger.error(
        { alert: 'dead_letter', operationId: a.operationId, mutation: a.mutation, step: a.step, connector: a.connector, endpoint: a.endpoint, cause: a.cause, attempts: a.attempts, reason: a.reason },
        `write step ${a.step} of ${a.mutation} is dead-lettered: ${a.reason}`,
      ),
    onChange: (change) => {
      for (const listener of listeners) listener(change);
    },
  });
  /**
   * Every step attempted at least once, or blocked behind a step that has not succeeded: nothing
   * more to learn soon. A pending step whose dependencies all succeeded is about to be claimed.
   */
  const settled = (op: WriteOperation) => {
    const succeeded = new Set(op.steps.filter((step) => step.state === 'succeeded').map((step) => step.name));
    const blocked = (step: WriteOperation['steps'][number]) => step.dependsOn.some((name) => !succeeded.has(name));
    return op.steps.every((step) => step.state !== 'in_flight' && (step.state !== 'pending' || blocked(step)));
  };

  function settle(operationId: string): Promise<WriteOperation> {
    return new Promise((resolve, reject) => {
      let done = false;
      // Answers with the very state judged settled: a re-read could catch a retry already under way.
      const finish = (settledOp?: WriteOperation) => {
        done = true;
        clearTimeout(timer);
        unsubscribe();
        if (settledOp) return resolve(settledOp);
        outbox.getOperation(operationId).then((op) => (op ? resolve(op) : reject(new Error(`operation ${operationId} vanished`))), reject);
      };
      const timer = setTimeout(() => finish(), deps.settleMs ?? 2_000);
      const unsubscribe = subscribe((change) => {
        if (done || change.operationId !== operationId) return;
        void outbox.getOperation(operationId).then((op) => {
          if (!done && op && (op.status === 'COMPLETED' || settled(op))) finish(op);
        });
      });
    });
  }

  function subscribe(listener: (change: { operationId: string; status: OperationStatus }) => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  return {
    outbox,
    async enqueue(plan) {
      const { operation, created } = await outbox.enqueue(plan);
      if (!created) return operation;
      dispatcher.kick();
      return settle(operation.id);
    },
    async replay(id) {
      const result = await outbox.replay(id);
      dispatcher.kick();
      return result;
    },
    onChange: subscribe,
    start: () => dispatcher.start(),
    stop: () => dispatcher.stop(),
  };
}
