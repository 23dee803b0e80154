import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { createOutbox, type Outbox } from '../../src/writes/outbox.ts';
import { TARGETS, type TestDatabase } from '../store/targets.ts';
import { counter, dispatcherFactory, settledOperation } from './support/harness.ts';
import { customerPlan } from './support/plans.ts';
import { startRecordingServer, type RecordingServer } from './support/recording-server.ts';

describe.each(TARGETS)('dispatching the outbox on $name', (target) => {
  let database: TestDatabase;
  let store: SqlStore;
  let outbox: Outbox;
  let server: RecordingServer;
  let dispatchers: ReturnType<typeof dispatcherFactory>;

  beforeAll(async () => {
    database = await target.database();
    store = await database.open();
    outbox = createOutbox(store);
    server = await startRecordingServer();
    dispatchers = dispatcherFactory({ store, outbox, serverUrl: server.url });
  });
  beforeEach(() => server.clearFaults());
  afterEach(() => dispatchers.stopAll());
  afterAll(async () => {
    await server?.close();
    await store?.close();
    await database?.drop();
  });

  it('sends every step of an accepted operation once and completes it', async () => {
    const { operation } = await outbox.enqueue(customerPlan('ada@example.com'));
    expect(server.recordsFor(operation.id)).toHaveLength(0);
    dispatchers.start();
    const done = await settledOperation(outbox, operation.id);
    expect(done.status).toBe('COMPLETED');
    expect(done.steps.map((s) => [s.name, s.state, s.attempts])).toEqual([
      ['crm', 'succeeded', 1],
      ['shop', 'succeeded', 1],
      ['acct', 'succeeded', 1],
    ]);
    const records = server.recordsFor(operation.id);
    expect(records.map((r) => r.path).sort()).toEqual(['/acct/createContact', '/crm/createContact', '/shop/createCustomer']);
    const crm = done.steps.find((s) => s.name === 'crm');
    expect(crm?.state === 'succeeded' && crm.externalId).toBe(server.records.get(`${operation.id}:crm`)?.id);
  });

  it('retries 503s and a response lost after commit with the same idempotency key, leaving one record', async () => {
    server.inject({ mode: 'unavailable', path: '/acct/', times: 2 });
    server.inject({ mode: 'lost', path: '/acct/', times: 1 });
    const dispatcher = dispatchers.start();
    const { operation } = await outbox.enqueue(customerPlan('bo@example.com'));
    dispatcher.kick();
    const done = await settledOperation(outbox, operation.id);
    expect(done.status).toBe('COMPLETED');
    const key = `${operation.id}:acct`;
    expect(server.attempts(key)).toBe(4);
    expect(server.recordsFor(key)).toHaveLength(1);
    expect(done.steps.find((s) => s.name === 'acct')?.attempts).toBe(4);
    expect(await counter(dispatcher.metrics, 'interchange_writes_total', { connector: 'acct', outcome: 'retried' })).toBe(3);
    expect(await counter(dispatcher.metrics, 'interchange_writes_total', { connector: 'acct', outcome: 'succeeded' })).toBe(1);
    expect(dispatcher.alerts).toEqual([]);
  });

  it("dead-letters a rejected step at once with the system's reason and alerts once for the operation", async () => {
    server.inject({ mode: 'reject', path: '/acct/', message: 'ContactName is required' });
    server.inject({ mode: 'reject', path: '/shop/', message: 'email has already been taken' });
    const dispatcher = dispatchers.start();
    const { operation } = await outbox.enqueue(customerPlan('cy@example.com'));
    dispatcher.kick();
    const done = await settledOperation(outbox, operation.id);
    expect(done.status).toBe('PARTIAL');
    const acct = done.steps.find((s) => s.name === 'acct');
    expect(acct).toMatchObject({ state: 'dead', deadCause: 'rejected', lastError: '422: ContactName is required', attempts: 1 });
    expect(server.attempts(`${operation.id}:acct`)).toBe(1);
    expect(dispatcher.alerts).toHaveLength(1);
    expect(dispatcher.alerts[0]).toMatchObject({ operationId: operation.id, mutation: 'createCustomer', cause: 'rejected' });
    const letters = (await outbox.deadLetters()).filter((letter) => letter.operationId === operation.id);
    expect(letters.map((letter) => letter.step.name).sort()).toEqual(['acct', 'shop']);
  });

  it('dead-letters a step after its last attempt, alerting once rather than on every retry, and counts it in the gauges', async () => {
    server.inject({ mode: 'unavailable', path: '/pms/' });
    const dispatcher = dispatchers.start();
    const { operation } = await outbox.enqueue({
      mutation: 'createReservation',
      input: { room: 12 },
      steps: [{ name: 'pms', connector: 'pms', endpoint: 'addReservation', args: { room: 12 }, maxAttempts: 3 }],
    });
    dispatcher.kick();
    const done = await settledOperation(outbox, operation.id);
    expect(done.status).toBe('FAILED');
    expect(done.steps[0]).toMatchObject({ state: 'dead', deadCause: 'exhausted', attempts: 3, lastError: '503: Service Unavailable' });
    expect(server.attempts(`${operation.id}:pms`)).toBe(3);
    expect(dispatcher.alerts).toEqual([expect.objectContaining({ operationId: operation.id, step: 'pms', cause: 'exhausted', attempts: 3 })]);
    await dispatchers.stopAll();
    const counts = await outbox.counts();
    expect(await counter(dispatcher.metrics, 'interchange_dead_letters', {})).toBe(counts.dead);
    expect(await counter(dispatcher.metrics, 'interchange_outbox_pending', {})).toBe(counts.pending + counts.in_flight + counts.retry_scheduled);
  });

  it('replays a dead step once, never resending the steps that succeeded; a second replay writes nothing', async () => {
    server.inject({ mode: 'reject', path: '/shop/', times: 1 });
    const dispatcher = dispatchers.start();
    const { operation } = await outbox.enqueue(customerPlan('di@example.com'));
    dispatcher.kick();
    const failed = await settledOperation(outbox, operation.id);
    const shop = failed.steps.find((s) => s.name === 'shop');
    expect(shop?.state).toBe('dead');

    const replayed = await outbox.replay(shop?.id ?? '');
    expect(replayed).toMatchObject({ operationId: operation.id, replayedStepIds: [shop?.id], status: 'PARTIAL' });
    dispatcher.kick();
    expect((await settledOperation(outbox, operation.id)).status).toBe('COMPLETED');

    expect(await outbox.replay(operation.id)).toMatchObject({ replayedStepIds: [], status: 'COMPLETED' });
    expect(await outbox.replay(shop?.id ?? '')).toMatchObject({ replayedStepIds: [] });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.recordsFor(operation.id)).toHaveLength(3);
    expect(['crm', 'shop', 'acct'].map((name) => server.attempts(`${operation.id}:${name}`))).toEqual([1, 2, 1]);
  });

  it('runs a dependent step after the step it needs, through that step’s retries, and hands it the result', async () => {
    server.inject({ mode: 'unavailable', path: '/crm/', times: 2 });
    const dispatcher = dispatchers.start();
    const plan = customerPlan('ed@example.com');
    const steps = plan.steps.map((step) => (step.name === 'acct' ? { ...step, dependsOn: ['crm'] } : step));
    const { operation } = await outbox.enqueue({ ...plan, steps });
    dispatcher.kick();
    expect((await settledOperation(outbox, operation.id)).status).toBe('COMPLETED');
    const crm = server.records.get(`${operation.id}:crm`);
    const acct = server.records.get(`${operation.id}:acct`);
    expect(acct?.body.dependencies).toEqual({ crm: { externalId: crm?.id, result: { id: crm?.id, replayed: false } } });
    const firstAcctRequest = server.requests.find((r) => r.key === `${operation.id}:acct`);
    expect(firstAcctRequest?.at).toBeGreaterThanOrEqual(crm?.at ?? Infinity);
  });

  it('fails the dependents of a dead step without sending them, and revives them when it is replayed', async () => {
    server.inject({ mode: 'reject', path: '/crm/', times: 1 });
    const dispatcher = dispatchers.start();
    const plan = customerPlan('fay@example.com');
    const steps = plan.steps.map((step) => (step.name === 'crm' ? step : { ...step, dependsOn: ['crm'] }));
    const { operation } = await outbox.enqueue({ ...plan, steps });
    dispatcher.kick();
    const failed = await settledOperation(outbox, operation.id);
    expect(failed.status).toBe('FAILED');
    expect(failed.steps.map((s) => (s.state === 'dead' ? s.deadCause : s.state))).toEqual(['rejected', 'dependency', 'dependency']);
    expect(server.attempts(`${operation.id}:shop`)).toBe(0);
    expect(dispatcher.alerts).toHaveLength(1);

    const crmId = failed.steps[0]?.id ?? '';
    expect((await outbox.replay(crmId)).replayedStepIds).toHaveLength(3);
    dispatcher.kick();
    expect((await settledOperation(outbox, operation.id)).status).toBe('COMPLETED');
    expect(server.recordsFor(operation.id)).toHaveLength(3);
  });

  it('undoes the earlier steps that declared a compensation when a later step is rejected, and says so', async () => {
    server.inject({ mode: 'reject', path: '/acct/', message: 'TaxNumber is invalid' });
    const dispatcher = dispatchers.start();
    const email = 'gus@example.com';
    const { operation } = await outbox.enqueue({
      mutation: 'createCustomer',
      input: { email },
      steps: [
        { name: 'crm', connector: 'crm', endpoint: 'createContact', args: { email }, compensate: { endpoint: 'archiveContact', args: {} } },
        { name: 'acct', connector: 'acct', endpoint: 'createContact', args: { email }, dependsOn: ['crm'] },
      ],
    });
    dispatcher.kick();
    const done = await settledOperation(outbox, operation.id);
    expect(done.status).toBe('FAILED');
    expect(done.steps.map((s) => [s.name, s.kind, s.state])).toEqual([
      ['crm', 'forward', 'compensated'],
      ['acct', 'forward', 'dead'],
      ['crm:compensate', 'compensation', 'succeeded'],
    ]);
    const created = server.records.get(`${operation.id}:crm`);
    const archived = server.records.get(`${operation.id}:crm:compensate`);
    expect(archived?.path).toBe('/crm/archiveContact');
    expect(archived?.body.dependencies.crm?.externalId).toBe(created?.id);
  });
});
