import { randomUUID } from 'node:crypto';
import type { SqlExecutor } from '../store/sql-store.ts';
import { insertStep, parseJson, STEP_COLUMNS, type StepRow } from './rows.ts';
import { deriveStatus } from './status.ts';
import {
  type DeadCause,
  type DeadLetterAlert,
  type OperationStatus,
  type StepKind,
  type StepStateName,
} from './types.ts';

/**
 * The rules that tie an operation's steps together, applied after every change to any of them
 * (an attempt's outcome, a replay), inside the same transaction:
 *
 * 1. A pending or retrying step that needs a dead (or compensated) step can never run: it dies too, with
 *    cause `dependency`, so the operation does not wait forever. Replaying the cause revives it.
 * 2. When a forward step is rejected (dead, permanent), each step declared before it that
 *    succeeded and declared `compensate` gets one compensation step (`<name>:compensate`, its
 *    own idempotency key, depending on the step it undoes so it receives its external id). A
 *    step that succeeds only later is compensated when it does. Steps declared after the
 *    rejected one are not undone: make them depend on it if they must not happen without it.
 * 3. A forward step whose compensation succeeded becomes `compensated`.
 * 4. The operation's status is derived (see OperationStatus) and stored, so lists can filter on it.
 * 5. Alerts: the first dead step of an operation raises one alert; more deaths in the same
 *    operation do not, until no dead step is left (replayed) and a new one appears.
 *
 * Callers lock the operation row first (`lockOperation`) and read steps after: two dispatchers
 * completing two steps of one operation at once then see each other's results, and the last to
 * commit stores the right status.
 */

export interface StepFacts {
  id: string;
  name: string;
  ordinal: number;
  kind: StepKind;
  compensatesStepId: string | null;
  state: StepStateName;
  deadCause: DeadCause | null;
  hasCompensation: boolean;
  dependsOnIds: readonly string[];
}

export interface Reconciliation {
  cascadeDead: Array<{ id: string; dependency: string }>;
  /** Forward steps that need a compensation step created. */
  compensate: string[];
  /** Forward steps whose compensation has succeeded. */
  compensated: string[];
  status: OperationStatus;
  anyDead: boolean;
}

export function reconcileSteps(steps: readonly StepFacts[]): Reconciliation {
  const state = new Map(steps.map((step) => [step.id, step.state] as const));
  const names = new Map(steps.map((step) => [step.id, step.name] as const));
  const cascadeDead: Reconciliation['cascadeDead'] = [];
  for (let changed = true; changed; ) {
    changed = false;
    for (const step of steps) {
      // A step waiting for its first attempt or for a retry can never run once a step it needs is gone.
      const waiting = state.get(step.id);
      if (waiting !== 'pending' && waiting !== 'retry_scheduled') continue;
      const blocker = step.dependsOnIds.find((id) => state.get(id) === 'dead' || state.get(id) === 'compensated');
      if (blocker === undefined) continue;
      state.set(step.id, 'dead');
      cascadeDead.push({ id: step.id, dependency: names.get(blocker) ?? blocker });
      changed = true;
    }
  }
  const forward = steps.filter((step) => step.kind === 'forward');
  const compensated = steps
    .filter((step) => step.kind === 'compensation' && step.state === 'succeeded' && step.compensatesStepId !== null)
    .map((step) => step.compensatesStepId as string)
    .filter((id) => state.get(id) === 'succeeded');
  for (const id of compensated) state.set(id, 'compensated');
  const lastRejected = Math.max(-1, ...forward.filter((s) => s.state === 'dead' && s.deadCause === 'rejected').map((s) => s.ordinal));
  const compensating = new Set(steps.map((step) => step.compensatesStepId));
  const compensate = forward
    .filter((s) => s.hasCompensation && s.ordinal < lastRejected && state.get(s.id) === 'succeeded' && !compensating.has(s.id))
    .map((s) => s.id);
  return {
    cascadeDead,
    compensate,
    compensated,
    status: deriveStatus(forward.map((step) => state.get(step.id) ?? step.state)),
    anyDead: [...state.values()].includes('dead'),
  };
}

export interface LockedOperation {
  id: string;
  mutation: string;
  alertedAt: number | null;
}

/** Takes the operation's row lock (PostgreSQL; SQLite's transaction already excludes writers) until commit. */
export async function lockOperation(tx: SqlExecutor, operationId: string, now: number): Promise<LockedOperation | undefined> {
  const row = await tx.one<{ mutation: string; alerted_at: number | null }>(
    'UPDATE write_operations SET updated_at = $2 WHERE id = $1 RETURNING mutation, alerted_at',
    [operationId, now],
  );
  return row && { id: operationId, mutation: row.mutation, alertedAt: row.alerted_at };
}

export interface ReconcileResult {
  status: OperationStatus;
  /** Set when this change opened an incident: the caller raises it after commit. */
  alert: DeadLetterAlert | undefined;
  compensationsEnqueued: number;
}

export async function reconcileOperation(tx: SqlExecutor, operation: LockedOperation, now: number): Promise<ReconcileResult> {
  const rows = await tx.query<StepRow>(`SELECT ${STEP_COLUMNS.join(', ')} FROM write_steps WHERE operation_id = $1 ORDER BY ordinal`, [operation.id]);
  const edges = await tx.query<{ step_id: string; depends_on_step_id: string }>(
    `SELECT d.step_id, d.depends_on_step_id FROM write_step_dependencies d JOIN write_steps s ON s.id = d.step_id WHERE s.operation_id = $1`,
    [operation.id],
  );
  const plan = reconcileSteps(rows.map((row) => toFacts(row, edges)));
  for (const { id, dependency } of plan.cascadeDead) {
    await tx.exec(
      `UPDATE write_steps SET state = 'dead', dead_cause = 'dependency', last_error = $3, next_attempt_at = NULL, updated_at = $2
       WHERE id = $1 AND state IN ('pending', 'retry_scheduled')`,
      [id, now, `not sent: the step it depends on, "${dependency}", did not succeed`],
    );
  }
  for (const id of plan.compensated) {
    await tx.exec(`UPDATE write_steps SET state = 'compensated', updated_at = $2 WHERE id = $1 AND state = 'succeeded'`, [id, now]);
  }
  const nextOrdinal = Math.max(0, ...rows.map((row) => row.ordinal)) + 1;
  let enqueued = 0;
  for (const [index, id] of plan.compensate.entries()) {
    const step = rows.find((row) => row.id === id) as StepRow;
    if (await insertStep(tx, compensationOf(step, nextOrdinal + index), now)) enqueued += 1;
  }
  await tx.exec('UPDATE write_operations SET status = $2 WHERE id = $1', [operation.id, plan.status]);
  return { status: plan.status, alert: await openOrCloseIncident(tx, operation, rows, plan.anyDead, now), compensationsEnqueued: enqueued };
}

function toFacts(row: StepRow, edges: ReadonlyArray<{ step_id: string; depends_on_step_id: string }>): StepFacts {
  return {
    id: row.id,
    name: row.name,
    ordinal: row.ordinal,
    kind: row.kind as StepKind,
    compensatesStepId: row.compensates_step_id,
    state: row.state as StepStateName,
    deadCause: row.dead_cause as DeadCause | null,
    hasCompensation: row.compensation !== null,
    dependsOnIds: edges.filter((edge) => edge.step_id === row.id).map((edge) => edge.depends_on_step_id),
  };
}

function compensationOf(step: StepRow, ordinal: number) {
  const compensation = parseJson(step.compensation as string) as { endpoint: string; args: Record<string, unknown> };
  return {
    id: randomUUID(),
    operationId: step.operation_id,
    ordinal,
    name: `${step.name}:compensate`,
    kind: 'compensation' as const,
    compensatesStepId: step.id,
    connector: step.connector,
    endpoint: compensation.endpoint,
    args: compensation.args,
    compensation: null,
    idempotencyKey: `${step.idempotency_key}:compensate`,
    maxAttempts: step.max_attempts,
    dependsOnIds: [step.id],
  };
}

async function openOrCloseIncident(
  tx: SqlExecutor,
  operation: LockedOperation,
  rows: readonly StepRow[],
  anyDead: boolean,
  now: number,
): Promise<DeadLetterAlert | undefined> {
  if (!anyDead) {
    if (operation.alertedAt !== null) await tx.exec('UPDATE write_operations SET alerted_at = NULL WHERE id = $1', [operation.id]);
    return undefined;
  }
  if (operation.alertedAt !== null) return undefined;
  const cause = rows
    .filter((row) => row.state === 'dead' && row.dead_cause !== 'dependency')
    .sort((a, b) => b.updated_at - a.updated_at)[0];
  if (!cause) return undefined;
  await tx.exec('UPDATE write_operations SET alerted_at = $2 WHERE id = $1', [operation.id, now]);
  return {
    operationId: operation.id,
    mutation: operation.mutation,
    stepId: cause.id,
    step: cause.name,
    connector: cause.connector,
    endpoint: cause.endpoint,
    cause: cause.dead_cause as DeadLetterAlert['cause'],
    reason: cause.last_error ?? 'no reason given',
    attempts: cause.attempts,
  };
}
