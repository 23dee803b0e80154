import { vi } from 'vitest';
import { createLogger } from '../../../src/observability/logger.ts';
import { createMetrics, type Metrics } from '../../../src/observability/metrics.ts';
import type { SqlStore } from '../../../src/store/sql-store.ts';
import { createDispatcher, type Dispatcher, type DispatcherOptions } from '../../../src/writes/dispatcher.ts';
import type { Outbox } from '../../../src/writes/outbox.ts';
import type { DeadLetterAlert, WriteOperation } from '../../../src/writes/types.ts';
import { createHttpExecutor } from './http-executor.ts';

/** Dispatchers tuned for tests (fast polls and backoff), with their alerts and metrics at hand. */
export interface TestDispatcher extends Dispatcher {
  readonly alerts: DeadLetterAlert[];
  readonly metrics: Metrics;
}

export function dispatcherFactory(base: { store: SqlStore; outbox: Outbox; serverUrl: string }) {
  const started: Dispatcher[] = [];
  return {
    start(overrides: Partial<DispatcherOptions> = {}): TestDispatcher {
      const alerts: DeadLetterAlert[] = [];
      const metrics = createMetrics({ defaultMetrics: false });
      const dispatcher = createDispatcher({
        store: base.store,
        outbox: base.outbox,
        executor: createHttpExecutor(base.serverUrl),
        leaseMs: 5_000,
        pollMs: 20,
        backoff: { initialDelayMs: 5, maxDelayMs: 20 },
        metrics,
        logger: createLogger({ level: 'silent' }),
        alert: (alert) => {
          alerts.push(alert);
        },
        ...overrides,
      });
      dispatcher.start();
      started.push(dispatcher);
      return Object.assign(dispatcher, { alerts, metrics });
    },
    async stopAll() {
      await Promise.all(started.splice(0).map((dispatcher) => dispatcher.stop()));
    },
  };
}

/** Waits until no step of the operation is open (pending, in flight, retry scheduled). */
export async function settledOperation(outbox: Outbox, id: string, timeout = 10_000): Promise<WriteOperation> {
  return vi.waitFor(
    async () => {
      const operation = await outbox.getOperation(id);
      const open = operation?.steps.filter((s) => s.state === 'pending' || s.state === 'in_flight' || s.state === 'retry_scheduled');
      if (!operation || open?.length) throw new Error(`operation ${id} still has open steps: ${open?.map((s) => `${s.name}=${s.state}`).join(', ')}`);
      return operation;
    },
    { timeout, interval: 20 },
  );
}

export async function counter(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  const match = metric?.values.find((value) => Object.entries(labels).every(([k, v]) => value.labels[k] === v));
  return match?.value ?? 0;
}
