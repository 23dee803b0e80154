import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { createOutbox, type Outbox } from '../../src/writes/outbox.ts';
import type { StepExecutor } from '../../src/writes/types.ts';
import { TARGETS, type TestDatabase } from '../store/targets.ts';
import { counter, dispatcherFactory, settledOperation } from './support/harness.ts';
import { createHttpExecutor } from './support/http-executor.ts';
import { startRecordingServer, type RecordingServer } from './support/recording-server.ts';

/** Two gateway processes, as far as the database can tell: two stores (pools), two owners. */
describe.each(TARGETS)('leases on $name', (target) => {
  let database: TestDatabase;
  let stores: SqlStore[];
  let outbox: Outbox;
  let server: RecordingServer;

  beforeAll(async () => {
    database = await target.database();
    stores = [await database.open(), await database.open({ migrate: false })];
    outbox = createOutbox(stores[0]!);
    server = await startRecordingServer();
  });
  beforeEach(() => server.clearFaults());
  afterAll(async () => {
    await server?.close();
    await Promise.all(stores.map((store) => store.close()));
    await database?.drop();
  });

  const onePlan = (name: string) => ({
    mutation: 'createCustomer',
    input: { name },
    steps: [{ name: 'crm', connector: 'crm', endpoint: `create-${name}`, args: { name } }],
  });

  it('leaves the step of a dispatcher that died holding its lease to another, which resends it with the same key', async () => {
    // The first dispatcher's request reaches the system, which records it and never answers, and
    // its executor ignores the lease's abort signal: as if its process froze mid-request. It stops
    // polling, its lease runs out, and it never records anything.
    server.inject({ mode: 'hang', path: '/crm/create-frozen', times: 1 });
    const http = createHttpExecutor(server.url);
    const unabortable: StepExecutor = { execute: (call) => http.execute({ ...call, signal: new AbortController().signal }) };
    const first = dispatcherFactory({ store: stores[0]!, outbox, serverUrl: server.url });
    const frozen = first.start({ owner: 'frozen', leaseMs: 400, executor: unabortable });
    const { operation } = await outbox.enqueue(onePlan('frozen'));
    frozen.kick();
    const key = `${operation.id}:crm`;
    await vi.waitFor(() => expect(server.attempts(key)).toBe(1), { timeout: 5_000, interval: 10 });
    const stopped = frozen.stop();

    const second = dispatcherFactory({ store: stores[1]!, outbox: createOutbox(stores[1]!), serverUrl: server.url });
    const rescuer = second.start({ owner: 'rescuer' });
    const done = await settledOperation(outbox, operation.id);
    await stopped;
    await second.stopAll();

    expect(done.status).toBe('COMPLETED');
    expect(done.steps[0]?.attempts).toBe(2);
    expect(server.attempts(key)).toBe(2);
    expect(server.recordsFor(key)).toHaveLength(1);
    expect(await counter(rescuer.metrics, 'interchange_writes_total', { connector: 'crm', outcome: 'succeeded' })).toBe(1);
    expect(await counter(frozen.metrics, 'interchange_writes_total', { connector: 'crm' })).toBe(0);
  });

  it('dead-letters a step whose last allowed attempt was abandoned, instead of sending it again', async () => {
    server.inject({ mode: 'hang', path: '/crm/create-last', times: 1 });
    const http = createHttpExecutor(server.url);
    const unabortable: StepExecutor = { execute: (call) => http.execute({ ...call, signal: new AbortController().signal }) };
    const first = dispatcherFactory({ store: stores[0]!, outbox, serverUrl: server.url });
    const frozen = first.start({ owner: 'frozen-last', leaseMs: 300, executor: unabortable });
    const plan = onePlan('last');
    const { operation } = await outbox.enqueue({ ...plan, steps: [{ ...plan.steps[0]!, maxAttempts: 1 }] });
    frozen.kick();
    await vi.waitFor(() => expect(server.attempts(`${operation.id}:crm`)).toBe(1), { interval: 10 });
    const stopped = frozen.stop();

    const second = dispatcherFactory({ store: stores[1]!, outbox: createOutbox(stores[1]!), serverUrl: server.url });
    const sweeper = second.start({ owner: 'sweeper' });
    const done = await settledOperation(outbox, operation.id);
    await Promise.all([stopped, second.stopAll()]);
    expect(done.status).toBe('FAILED');
    expect(done.steps[0]).toMatchObject({ state: 'dead', deadCause: 'exhausted', attempts: 1 });
    expect(server.attempts(`${operation.id}:crm`)).toBe(1);
    expect(sweeper.alerts).toEqual([expect.objectContaining({ operationId: operation.id, cause: 'exhausted' })]);
  });

  it('discards the outcome of an attempt that outlived its lease, keeping what the new owner recorded', async () => {
    let release: () => void = () => undefined;
    const late = new Promise<void>((resolve) => (release = resolve));
    const slowExecutor: StepExecutor = {
      // Ignores its abort signal on purpose, then reports a failure after the step has moved on.
      async execute() {
        await late;
        return { ok: false, permanent: true, reason: 'too late to matter' };
      },
    };
    const first = dispatcherFactory({ store: stores[0]!, outbox, serverUrl: server.url });
    // One slot, held by the stuck attempt: this dispatcher cannot reclaim the step itself.
    const slow = first.start({ owner: 'slow', leaseMs: 300, concurrency: 1, executor: slowExecutor });
    const { operation } = await outbox.enqueue(onePlan('slow'));
    slow.kick();
    await vi.waitFor(async () => expect((await outbox.getOperation(operation.id))?.steps[0]?.state).toBe('in_flight'), { interval: 10 });

    const second = dispatcherFactory({ store: stores[1]!, outbox: createOutbox(stores[1]!), serverUrl: server.url });
    second.start({ owner: 'fast', executor: createHttpExecutor(server.url) });
    const done = await settledOperation(outbox, operation.id);
    expect(done.status).toBe('COMPLETED');

    release();
    await vi.waitFor(async () => expect(await counter(slow.metrics, 'interchange_writes_total', { connector: 'crm', outcome: 'fenced' })).toBe(1), {
      interval: 10,
    });
    await Promise.all([first.stopAll(), second.stopAll()]);
    expect((await outbox.getOperation(operation.id))?.steps[0]).toMatchObject({ state: 'succeeded', attempts: 2 });
    expect(slow.alerts).toEqual([]);
  });
});
