import { randomUUID } from 'node:crypto';
import { InterchangeError } from '../errors.ts';
import type { SqlExecutor, SqlStore } from '../store/sql-store.ts';
import * as reads from './outbox-reads.ts';
import { lockOperation, reconcileOperation } from './reconcile.ts';
import { insertStep, stableJson } from './rows.ts';
import type { OperationStatus, StepStateName, WriteOperation, WritePlan } from './types.ts';

/**
 * The outbox: where a mutation's writes are committed before anyone is told "accepted", and
 * where they are read back, listed and replayed. Sending them is the dispatcher's job.
 *
 * Guarantees:
 * - `enqueue` commits the operation and every step in one transaction before it resolves: after
 *   that, a crash loses nothing, and a dispatcher in any process can send the steps.
 * - Each step's idempotency key (`<operationId>:<stepName>`) is fixed at creation and sent on
 *   every attempt and every replay, so a system that honours keys never records a step twice.
 * - A plan with a client idempotency key already seen returns the first operation and writes
 *   nothing; on PostgreSQL two such plans racing are decided by the unique constraint. The same key
 *   with a different mutation or input is a CONFLICT, not a silent replay of something else.
 * - `replay` revives dead steps only; a succeeded step is never sent again.
 */
export interface Outbox {
  enqueue(plan: WritePlan): Promise<{ operation: WriteOperation; created: boolean }>;
  getOperation(id: string): Promise<WriteOperation | undefined>;
  listOperations(options?: reads.ListOperationsOptions): Promise<reads.OperationPage>;
  deadLetters(options?: { first?: number }): Promise<reads.DeadLetter[]>;
  /** `id` is a step id or an operation id. Resolves with the steps made pending again (none when nothing was dead). */
  replay(id: string): Promise<ReplayResult>;
  /** Steps by state, for gauges. */
  counts(): Promise<Record<StepStateName, number>>;
}

export interface ReplayResult {
  operationId: string;
  replayedStepIds: string[];
  status: OperationStatus;
}

export interface OutboxOptions {
  /** Attempts for a step that does not say; default 5. */
  defaultMaxAttempts?: number | undefined;
}

export function createOutbox(store: SqlStore, options: OutboxOptions = {}): Outbox {
  const defaultMaxAttempts = options.defaultMaxAttempts ?? 5;
  return {
    async enqueue(plan) {
      checkPlan(plan);
      const id = await store.transaction((tx) => insertPlan(tx, plan, defaultMaxAttempts));
      const operation = await reads.getOperation(store, id.operationId);
      if (!operation) throw new Error(`write operation ${id.operationId} vanished after commit`);
      return { operation, created: id.created };
    },
    getOperation: (id) => reads.getOperation(store, id),
    listOperations: (list) => reads.listOperations(store, list),
    deadLetters: (list) => reads.deadLetters(store, list),
    replay: (id) => replay(store, id),
    async counts() {
      const rows = await store.query<{ state: StepStateName; n: number }>('SELECT state, count(*) AS n FROM write_steps GROUP BY state');
      const counts = { pending: 0, in_flight: 0, retry_scheduled: 0, succeeded: 0, dead: 0, compensated: 0 };
      for (const row of rows) counts[row.state] = Number(row.n);
      return counts;
    },
  };
}

async function insertPlan(tx: SqlExecutor, plan: WritePlan, defaultMaxAttempts: number) {
  const now = Date.now();
  const operationId = randomUUID();
  const input = stableJson(plan.input);
  const inserted = await tx.query(
    `INSERT INTO write_operations (id, mutation, idempotency_key, input, status, created_at, updated_at)
     VALUES ($1, $2, $3, $4, 'PENDING', $5, $5) ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
    [operationId, plan.mutation, plan.idempotencyKey ?? null, input, now],
  );
  if (inserted.length === 0) return { operationId: await firstWithKey(tx, plan, input), created: false };
  const ids = new Map(plan.steps.map((step) => [step.name, randomUUID()] as const));
  for (const [ordinal, step] of plan.steps.entries()) {
    await insertStep(
      tx,
      {
        id: ids.get(step.name) as string,
        operationId,
        ordinal,
        name: step.name,
        kind: 'forward',
        compensatesStepId: null,
        connector: step.connector,
        endpoint: step.endpoint,
        args: step.args,
        compensation: step.compensate ?? null,
        idempotencyKey: `${operationId}:${step.name}`,
        maxAttempts: step.maxAttempts ?? defaultMaxAttempts,
        dependsOnIds: (step.dependsOn ?? []).map((name) => ids.get(name) as string),
      },
      now,
    );
  }
  return { operationId, created: true };
}

async function firstWithKey(tx: SqlExecutor, plan: WritePlan, input: string): Promise<string> {
  const first = await tx.one<{ id: string; mutation: string; input: string }>(
    'SELECT id, mutation, input FROM write_operations WHERE idempotency_key = $1',
    [plan.idempotencyKey ?? null],
  );
  if (!first) throw new Error('an idempotency key conflicted but its operation cannot be read');
  if (first.mutation !== plan.mutation || first.input !== input) {
    throw new InterchangeError('CONFLICT', `the idempotency key was already used for a different ${first.mutation === plan.mutation ? 'input' : 'mutation'}`);
  }
  return first.id;
}

async function replay(store: SqlStore, id: string): Promise<ReplayResult> {
  const step = await store.one<{ id: string; operation_id: string }>('SELECT id, operation_id FROM write_steps WHERE id = $1', [id]);
  const operationId = step?.operation_id ?? (await store.one<{ id: string }>('SELECT id FROM write_operations WHERE id = $1', [id]))?.id;
  if (!operationId) throw new InterchangeError('NOT_FOUND', `no write operation or step has the id ${id}`);
  return store.transaction(async (tx) => {
    const now = Date.now();
    const operation = await lockOperation(tx, operationId, now);
    if (!operation) throw new InterchangeError('NOT_FOUND', `no write operation has the id ${operationId}`);
    const steps = await tx.query<{ id: string; state: string; dead_cause: string | null }>(
      'SELECT id, state, dead_cause FROM write_steps WHERE operation_id = $1',
      [operationId],
    );
    const edges = await tx.query<{ step_id: string; depends_on_step_id: string }>(
      'SELECT d.step_id, d.depends_on_step_id FROM write_step_dependencies d JOIN write_steps s ON s.id = d.step_id WHERE s.operation_id = $1',
      [operationId],
    );
    const candidates = step ? replaySet(steps, edges, step.id) : steps.filter((s) => s.state === 'dead').map((s) => s.id);
    const replayedStepIds: string[] = [];
    for (const candidate of candidates) {
      const revived = await tx.exec(
        `UPDATE write_steps SET state = 'pending', attempts = 0, next_attempt_at = $2, dead_cause = NULL, last_error = NULL, updated_at = $2
         WHERE id = $1 AND state = 'dead'`,
        [candidate, now],
      );
      if (revived) replayedStepIds.push(candidate);
    }
    const { status } = await reconcileOperation(tx, operation, now);
    return { operationId, replayedStepIds, status };
  });
}

/**
 * A dead step to replay brings along what it needs and what needed it: dead steps it depends on
 * (they must succeed first) and steps that died only because of it.
 */
export function replaySet(
  steps: ReadonlyArray<{ id: string; state: string; dead_cause: string | null }>,
  edges: ReadonlyArray<{ step_id: string; depends_on_step_id: string }>,
  start: string,
): string[] {
  const byId = new Map(steps.map((step) => [step.id, step] as const));
  const chosen = new Set<string>();
  const visit = (id: string) => {
    const step = byId.get(id);
    if (!step || step.state !== 'dead' || chosen.has(id)) return;
    chosen.add(id);
    for (const edge of edges) {
      if (edge.step_id === id) visit(edge.depends_on_step_id);
      if (edge.depends_on_step_id === id && byId.get(edge.step_id)?.dead_cause === 'dependency') visit(edge.step_id);
    }
  };
  visit(start);
  return [...chosen];
}

/** A plan is built by the engine from schema bindings; a malformed one is a bug, named precisely. */
function checkPlan(plan: WritePlan): void {
  if (!plan.mutation) throw new TypeError('a write plan needs a mutation name');
  if (plan.steps.length === 0) throw new TypeError(`write plan ${plan.mutation} has no steps: expected at least one`);
  const seen = new Set<string>();
  for (const step of plan.steps) {
    if (!/^[A-Za-z0-9_.-]+$/.test(step.name)) {
      throw new TypeError(`write plan ${plan.mutation}: step name "${step.name}" must be letters, digits, "_", "." or "-"`);
    }
    if (seen.has(step.name)) throw new TypeError(`write plan ${plan.mutation}: two steps are named "${step.name}"`);
    for (const dependency of step.dependsOn ?? []) {
      if (!seen.has(dependency)) {
        throw new TypeError(`write plan ${plan.mutation}: step "${step.name}" depends on "${dependency}", expected one of the steps declared before it: ${[...seen].join(', ') || 'none'}`);
      }
    }
    if (step.maxAttempts !== undefined && !(Number.isInteger(step.maxAttempts) && step.maxAttempts >= 1)) {
      throw new TypeError(`write plan ${plan.mutation}: step "${step.name}" maxAttempts must be an integer >= 1, got ${step.maxAttempts}`);
    }
    seen.add(step.name);
  }
}
