import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { createOutbox, type Outbox } from '../../src/writes/outbox.ts';
import { TARGETS, type TestDatabase } from '../store/targets.ts';
import { customerPlan } from './support/plans.ts';

describe.each(TARGETS)('the outbox on $name', (target) => {
  let database: TestDatabase;
  let store: SqlStore;
  let outbox: Outbox;

  beforeAll(async () => {
    database = await target.database();
    store = await database.open();
    outbox = createOutbox(store);
  });
  afterAll(async () => {
    await store?.close();
    await database?.drop();
  });

  it('has committed the operation and one row per step when enqueue resolves, visible to another connection', async () => {
    const { operation, created } = await outbox.enqueue(customerPlan('ada@example.com'));
    expect(created).toBe(true);
    const other = await database.open({ migrate: false });
    try {
      const op = await other.one('SELECT status, mutation FROM write_operations WHERE id = $1', [operation.id]);
      expect(op).toEqual({ status: 'PENDING', mutation: 'createCustomer' });
      const steps = await other.query('SELECT name, state, attempts, idempotency_key FROM write_steps WHERE operation_id = $1 ORDER BY ordinal', [operation.id]);
      expect(steps).toEqual(
        ['crm', 'shop', 'acct'].map((name) => ({ name, state: 'pending', attempts: 0, idempotency_key: `${operation.id}:${name}` })),
      );
    } finally {
      await other.close();
    }
  });

  it('reads an operation back with its steps in declared order and their dependencies', async () => {
    const plan = customerPlan('bo@example.com');
    const steps = plan.steps.map((step) => (step.name === 'acct' ? { ...step, dependsOn: ['crm'], maxAttempts: 2 } : step));
    const { operation } = await outbox.enqueue({ ...plan, steps });
    const read = await outbox.getOperation(operation.id);
    expect(read?.status).toBe('PENDING');
    expect(read?.input).toEqual({ email: 'bo@example.com', firstName: 'Ada' });
    expect(read?.steps.map((s) => [s.name, s.state, s.dependsOn, s.maxAttempts])).toEqual([
      ['crm', 'pending', [], 5],
      ['shop', 'pending', [], 5],
      ['acct', 'pending', ['crm'], 2],
    ]);
    expect(await outbox.getOperation('no-such-operation')).toBeUndefined();
  });

  it('returns the first operation for a repeated client idempotency key and writes nothing, even when the repeats race', async () => {
    const plan = customerPlan('cy@example.com', { idempotencyKey: 'client-key-1' });
    const results = await Promise.all(Array.from({ length: 5 }, () => outbox.enqueue(plan)));
    expect(new Set(results.map((r) => r.operation.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const counted = await store.one<{ operations: number; steps: number }>(
      `SELECT (SELECT count(*) FROM write_operations WHERE idempotency_key = $1) AS operations,
              (SELECT count(*) FROM write_steps s JOIN write_operations o ON o.id = s.operation_id WHERE o.idempotency_key = $1) AS steps`,
      ['client-key-1'],
    );
    expect(counted).toEqual({ operations: 1, steps: 3 });
  });

  it('treats the same input with its keys in another order as the same request', async () => {
    const first = await outbox.enqueue({ ...customerPlan('di@example.com'), idempotencyKey: 'client-key-2', input: { a: 1, b: { c: 2, d: 3 } } });
    const again = await outbox.enqueue({ ...customerPlan('di@example.com'), idempotencyKey: 'client-key-2', input: { b: { d: 3, c: 2 }, a: 1 } });
    expect(again).toEqual({ operation: first.operation, created: false });
  });

  it('refuses a client idempotency key reused for a different input with CONFLICT', async () => {
    await outbox.enqueue(customerPlan('ed@example.com', { idempotencyKey: 'client-key-3' }));
    await expect(outbox.enqueue(customerPlan('someone-else@example.com', { idempotencyKey: 'client-key-3' }))).rejects.toMatchObject({
      code: 'CONFLICT',
      message: 'the idempotency key was already used for a different input',
    });
  });

  it('refuses a malformed plan before writing anything, saying what was expected', async () => {
    const before = await store.one<{ n: number }>('SELECT count(*) AS n FROM write_operations');
    const plan = customerPlan('fay@example.com');
    await expect(outbox.enqueue({ ...plan, steps: [] })).rejects.toThrow('has no steps: expected at least one');
    await expect(outbox.enqueue({ ...plan, steps: [plan.steps[0]!, plan.steps[0]!] })).rejects.toThrow('two steps are named "crm"');
    await expect(
      outbox.enqueue({ ...plan, steps: [{ ...plan.steps[0]!, dependsOn: ['acct'] }, plan.steps[2]!] }),
    ).rejects.toThrow('step "crm" depends on "acct", expected one of the steps declared before it: none');
    await expect(outbox.enqueue({ ...plan, steps: [{ ...plan.steps[0]!, name: 'crm:x' }] })).rejects.toThrow(/step name "crm:x" must be/);
    expect(await store.one('SELECT count(*) AS n FROM write_operations')).toEqual(before);
  });

  it('lists operations newest first in stable pages, filtered by status', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await outbox.enqueue({ ...customerPlan(`page${i}@example.com`), mutation: 'pagedMutation' })).operation.id);
    const seen: Array<{ id: string; createdAt: number }> = [];
    let after: string | null = null;
    do {
      const page: Awaited<ReturnType<Outbox['listOperations']>> = await outbox.listOperations({ first: 2, after, status: 'PENDING' });
      expect(page.nodes.length).toBeLessThanOrEqual(2);
      expect(page.nodes.every((node) => node.status === 'PENDING' && node.steps.length === 3)).toBe(true);
      seen.push(...page.nodes.filter((node) => node.mutation === 'pagedMutation'));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    // Every operation exactly once across pages, newest first (ties within a millisecond go by id).
    expect(seen.map((node) => node.id).sort()).toEqual([...ids].sort());
    expect(seen.map((node) => node.createdAt)).toEqual(seen.map((node) => node.createdAt).sort((a, b) => b - a));
    expect((await outbox.listOperations({ status: 'COMPLETED' })).nodes).toEqual([]);
    await expect(outbox.listOperations({ after: 'garbage' })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('answers NOT_FOUND when asked to replay an id it does not know', async () => {
    await expect(outbox.replay('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
