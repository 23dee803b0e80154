import { InterchangeError } from '../errors.ts';
import type { SqlExecutor } from '../store/sql-store.ts';
import { OPERATION_COLUMNS, placeholders, STEP_COLUMNS, stepColumns, toWriteOperation, toWriteStep, type OperationRow, type StepRow } from './rows.ts';
import type { OperationStatus, WriteOperation, WriteStep } from './types.ts';

/**
 * Reading the outbox: operations with their steps, pages of operations, dead letters. Every
 * read is a committed snapshot per statement; an operation read while a dispatcher works may
 * show a step one state behind, never a state the step was not in.
 */

export interface OperationPage {
  nodes: WriteOperation[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export interface ListOperationsOptions {
  status?: OperationStatus | undefined;
  /** Page size, 1 to 500; default 20. */
  first?: number | undefined;
  /** `endCursor` of the previous page. */
  after?: string | null | undefined;
}

export type DeadStep = WriteStep & { state: 'dead' };

export interface DeadLetter {
  operationId: string;
  mutation: string;
  step: DeadStep;
}

export async function readOperations(db: SqlExecutor, rows: readonly OperationRow[]): Promise<WriteOperation[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const stepRows = await db.query<StepRow>(
    `SELECT ${STEP_COLUMNS.join(', ')} FROM write_steps WHERE operation_id IN (${placeholders(ids.length, 1)}) ORDER BY ordinal`,
    ids,
  );
  const steps = await withDependencies(db, stepRows);
  return rows.map((row) => toWriteOperation(row, steps.filter((step) => step.operationId === row.id)));
}

export async function withDependencies(db: SqlExecutor, rows: readonly StepRow[]): Promise<WriteStep[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.id);
  const edges = await db.query<{ step_id: string; name: string }>(
    `SELECT d.step_id, p.name FROM write_step_dependencies d JOIN write_steps p ON p.id = d.depends_on_step_id
     WHERE d.step_id IN (${placeholders(ids.length, 1)}) ORDER BY p.ordinal`,
    ids,
  );
  return rows.map((row) => toWriteStep(row, edges.filter((edge) => edge.step_id === row.id).map((edge) => edge.name)));
}

export async function getOperation(db: SqlExecutor, id: string): Promise<WriteOperation | undefined> {
  const row = await db.one<OperationRow>(`SELECT ${OPERATION_COLUMNS} FROM write_operations WHERE id = $1`, [id]);
  return row && (await readOperations(db, [row]))[0];
}

/** Newest first. Keyset pagination on (created_at, id): pages stay stable while new operations arrive. */
export async function listOperations(db: SqlExecutor, options: ListOperationsOptions = {}): Promise<OperationPage> {
  const first = options.first ?? 20;
  if (!Number.isInteger(first) || first < 1 || first > 500) {
    throw new InterchangeError('BAD_USER_INPUT', `first must be an integer from 1 to 500, got ${String(first)}`);
  }
  const params: Array<string | number> = [];
  const where: string[] = [];
  if (options.status) {
    params.push(options.status);
    where.push(`status = $${params.length}`);
  }
  if (options.after) {
    const [createdAt, id] = decodeCursor(options.after);
    params.push(createdAt, id);
    where.push(`(created_at < $${params.length - 1} OR (created_at = $${params.length - 1} AND id < $${params.length}))`);
  }
  params.push(first + 1);
  const rows = await db.query<OperationRow>(
    `SELECT ${OPERATION_COLUMNS} FROM write_operations ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  const page = rows.slice(0, first);
  const last = page.at(-1);
  return {
    nodes: await readOperations(db, page),
    pageInfo: { hasNextPage: rows.length > first, endCursor: last ? encodeCursor(last.created_at, last.id) : null },
  };
}

/** Dead steps, oldest death first, with the operation they belong to. */
export async function deadLetters(db: SqlExecutor, options: { first?: number } = {}): Promise<DeadLetter[]> {
  const rows = await db.query<StepRow & { mutation: string }>(
    `SELECT ${stepColumns('s')}, o.mutation FROM write_steps s JOIN write_operations o ON o.id = s.operation_id
     WHERE s.state = 'dead' ORDER BY s.updated_at, s.id LIMIT $1`,
    [options.first ?? 100],
  );
  const steps = await withDependencies(db, rows);
  return steps.map((step, index) => ({ operationId: step.operationId, mutation: rows[index]?.mutation ?? '', step: step as DeadStep }));
}

function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

function decodeCursor(cursor: string): [number, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string') return [value[0], value[1]];
  } catch {
    // fall through to the error below
  }
  throw new InterchangeError('BAD_USER_INPUT', 'after is not a cursor this list returned');
}
