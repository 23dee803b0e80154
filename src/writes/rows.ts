import type { Args } from '../connectors/define.ts';
import type { SqlExecutor } from '../store/sql-store.ts';
import { deriveStatus } from './status.ts';
import {
  assertNever,
  type DeadCause,
  type StepKind,
  type StepStateName,
  type WriteOperation,
  type WriteStep,
  type WriteStepState,
} from './types.ts';

/**
 * Rows as the database holds them, and their typed reading. The database keeps every column of a
 * step in one flat row; reading it through `toWriteStep` yields only the fields valid in the
 * step's state, and a row that breaks its state's rules (a pending step without a due time) fails
 * loudly rather than reaching a client half-formed.
 */
export interface StepRow {
  id: string;
  operation_id: string;
  ordinal: number;
  name: string;
  kind: string;
  compensates_step_id: string | null;
  connector: string;
  endpoint: string;
  args: string;
  compensation: string | null;
  idempotency_key: string;
  state: string;
  attempts: number;
  max_attempts: number;
  next_attempt_at: number | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  external_id: string | null;
  result: string | null;
  last_error: string | null;
  dead_cause: string | null;
  created_at: number;
  updated_at: number;
}

export interface OperationRow {
  id: string;
  mutation: string;
  idempotency_key: string | null;
  input: string;
  status: string;
  created_at: number;
  updated_at: number;
}

export const STEP_COLUMNS = [
  'id', 'operation_id', 'ordinal', 'name', 'kind', 'compensates_step_id', 'connector', 'endpoint', 'args',
  'compensation', 'idempotency_key', 'state', 'attempts', 'max_attempts', 'next_attempt_at', 'lease_owner',
  'lease_expires_at', 'external_id', 'result', 'last_error', 'dead_cause', 'created_at', 'updated_at',
] as const;

/** `s.id, s.operation_id, …` for statements that join steps with another table. */
export const stepColumns = (alias: string) => STEP_COLUMNS.map((column) => `${alias}.${column}`).join(', ');

export const OPERATION_COLUMNS = 'id, mutation, idempotency_key, input, status, created_at, updated_at';

export function toWriteStep(row: StepRow, dependsOn: readonly string[]): WriteStep {
  const base = {
    id: row.id,
    operationId: row.operation_id,
    name: row.name,
    kind: row.kind as StepKind,
    compensatesStepId: row.compensates_step_id,
    connector: row.connector,
    endpoint: row.endpoint,
    args: parseJson(row.args) as Args,
    dependsOn,
    idempotencyKey: row.idempotency_key,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    compensation: row.compensation === null ? null : (parseJson(row.compensation) as { endpoint: string; args: Args }),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  return { ...base, ...stateOf(row) };
}

function stateOf(row: StepRow): WriteStepState {
  const state = row.state as StepStateName;
  const need = <T>(value: T | null, column: string): T => {
    if (value === null) throw new Error(`write step ${row.id} is ${state} but has no ${column}`);
    return value;
  };
  switch (state) {
    case 'pending':
      return { state, nextAttemptAt: need(row.next_attempt_at, 'next_attempt_at') };
    case 'in_flight':
      return { state, leaseOwner: need(row.lease_owner, 'lease_owner'), leaseExpiresAt: need(row.lease_expires_at, 'lease_expires_at'), lastError: row.last_error };
    case 'retry_scheduled':
      return { state, nextAttemptAt: need(row.next_attempt_at, 'next_attempt_at'), lastError: need(row.last_error, 'last_error') };
    case 'succeeded':
    case 'compensated':
      return { state, externalId: row.external_id, result: row.result === null ? null : parseJson(row.result) };
    case 'dead':
      return { state, deadCause: need(row.dead_cause, 'dead_cause') as DeadCause, lastError: need(row.last_error, 'last_error') };
    default:
      return assertNever(state, `state of write step ${row.id}`);
  }
}

/**
 * The status shown is derived from the steps shown, not read from the stored column: the
 * operation row and its steps are read by two statements, and a step committed between them
 * would otherwise show beside a status from before it. (The stored column, written in the same
 * transaction as every step change, serves list filters.)
 */
export function toWriteOperation(row: OperationRow, steps: WriteStep[]): WriteOperation {
  return {
    id: row.id,
    mutation: row.mutation,
    idempotencyKey: row.idempotency_key,
    input: parseJson(row.input),
    status: deriveStatus(steps.filter((step) => step.kind === 'forward').map((step) => step.state)),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    steps,
  };
}

export function parseJson(text: string): unknown {
  return JSON.parse(text) as unknown;
}

/** JSON with object keys sorted, so two equal inputs always serialise to the same text. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  ) ?? 'null';
}

/** `$first, $first+1, …` for an IN list of `count` values. */
export function placeholders(count: number, first: number): string {
  return Array.from({ length: count }, (_, i) => `$${first + i}`).join(', ');
}

export interface NewStep {
  id: string;
  operationId: string;
  ordinal: number;
  name: string;
  kind: StepKind;
  compensatesStepId: string | null;
  connector: string;
  endpoint: string;
  args: Args;
  compensation: { endpoint: string; args: Args } | null;
  idempotencyKey: string;
  maxAttempts: number;
  dependsOnIds: readonly string[];
}

/** Inserts a pending step, due now, with its dependency edges. Resolves false when the step's name was taken in its operation. */
export async function insertStep(tx: SqlExecutor, step: NewStep, now: number): Promise<boolean> {
  const inserted = await tx.exec(
    `INSERT INTO write_steps (id, operation_id, ordinal, name, kind, compensates_step_id, connector, endpoint, args,
       compensation, idempotency_key, state, attempts, max_attempts, next_attempt_at, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', 0, $12, $13, $13, $13)
     ON CONFLICT (operation_id, name) DO NOTHING`,
    [
      step.id, step.operationId, step.ordinal, step.name, step.kind, step.compensatesStepId, step.connector, step.endpoint,
      JSON.stringify(step.args), step.compensation === null ? null : JSON.stringify(step.compensation), step.idempotencyKey,
      step.maxAttempts, now,
    ],
  );
  if (inserted === 0) return false;
  for (const dependency of step.dependsOnIds) {
    await tx.exec('INSERT INTO write_step_dependencies (step_id, depends_on_step_id) VALUES ($1, $2)', [step.id, dependency]);
  }
  return true;
}
