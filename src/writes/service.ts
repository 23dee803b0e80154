import type { ConnectorRuntime } from '../connectors/runtime.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { SqlStore } from '../store/sql-store.ts';
import { createDispatcher, type Dispatcher } from './dispatcher.ts';
import { createStepExecutor } from './executor.ts';
import { createOutbox, type Outbox, type ReplayResult } from './outbox.ts';
import type { OperationStatus, WriteOperation, WritePlan } from './types.ts';

/**
 * The write side as the rest of the gateway sees it: enqueue a plan (committed before this
 * resolves), read operations, replay dead letters. The dispatcher runs in every gateway process;
 * leases in SQL make sure each step is sent by one of them at a time.
 */
export interface WriteService {
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
  return {
    outbox,
    async enqueue(plan) {
      const { operation } = await outbox.enqueue(plan);
      dispatcher.kick();
      return operation;
    },
    async replay(id) {
      const result = await outbox.replay(id);
      dispatcher.kick();
      return result;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    start: () => dispatcher.start(),
    stop: () => dispatcher.stop(),
  };
}
