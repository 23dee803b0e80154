import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { createOutbox } from '../../src/writes/outbox.ts';
import { POSTGRES, type TestDatabase } from '../store/targets.ts';
import { counter, dispatcherFactory } from './support/harness.ts';
import { customerPlan } from './support/plans.ts';
import { startRecordingServer, type RecordingServer } from './support/recording-server.ts';

describe('two dispatchers on one PostgreSQL database', () => {
  let database: TestDatabase;
  let stores: SqlStore[];
  let server: RecordingServer;

  beforeAll(async () => {
    database = await POSTGRES.database();
    stores = [await database.open(), await database.open({ migrate: false })];
    server = await startRecordingServer({ latencyMs: 5 });
  });
  afterAll(async () => {
    await server?.close();
    await Promise.all(stores.map((store) => store.close()));
    await database?.drop();
  });

  it('send each of 300 steps to the system exactly once, never the same step from both at a time, through 503s and lost answers', async () => {
    // Ten attempts: a step failing 10% of the time at random never runs out of them in practice.
    const outboxes = stores.map((store) => createOutbox(store, { defaultMaxAttempts: 10 }));
    const operations = await Promise.all(
      Array.from({ length: 100 }, (_, i) => outboxes[i % 2]!.enqueue(customerPlan(`guest${i}@example.com`))),
    );
    server.inject({ mode: 'flaky', rate: 0.1 });
    const factories = stores.map((store, i) => dispatcherFactory({ store, outbox: outboxes[i]!, serverUrl: server.url }));
    const dispatchers = factories.map((factory, i) => factory.start({ owner: `gateway-${i}`, concurrency: 8 }));
    dispatchers.forEach((dispatcher) => dispatcher.kick());

    await vi.waitFor(
      async () => {
        const open = await stores[0]!.one<{ n: number }>("SELECT count(*) AS n FROM write_steps WHERE state <> 'succeeded'");
        expect(open?.n).toBe(0);
      },
      { timeout: 25_000, interval: 50 },
    );
    await Promise.all(factories.map((factory) => factory.stopAll()));

    const keys = operations.flatMap(({ operation }) => operation.steps.map((step) => step.idempotencyKey));
    expect(keys).toHaveLength(300);
    expect(server.records.size).toBe(300);
    expect(keys.every((key) => server.records.has(key))).toBe(true);
    expect(server.concurrentDuplicates).toEqual([]);
    // Every request the system saw was an attempt the outbox counted: no dispatch behind its back.
    const attempts = await stores[0]!.one<{ n: number }>('SELECT sum(attempts) AS n FROM write_steps');
    expect(attempts?.n).toBe(server.requests.length);
    const statuses = await stores[1]!.query<{ status: string; n: number }>('SELECT status, count(*) AS n FROM write_operations GROUP BY status');
    expect(statuses).toEqual([{ status: 'COMPLETED', n: 100 }]);
    for (const dispatcher of dispatchers) {
      const succeeded = await Promise.all(['crm', 'shop', 'acct'].map((c) => counter(dispatcher.metrics, 'interchange_writes_total', { connector: c, outcome: 'succeeded' })));
      expect(succeeded.reduce((a, b) => a + b)).toBeGreaterThan(0);
    }
  });
});
