import type { SqlStore } from '../store/sql-store.ts';
import type { Settlement } from './retry.ts';
import { lockOperation, reconcileOperation, type ReconcileResult } from './reconcile.ts';
import { parseJson, placeholders, STEP_COLUMNS, toWriteStep, type StepRow } from './rows.ts';
import { assertNever, type StepResult, type WriteStep } from './types.ts';

/**
 * The dispatcher's two statements against the outbox: claim due steps under a lease, and record
 * an attempt's outcome only while the lease is still ours.
 *
 * A lease is (`lease_owner`, `attempts`): the claim sets the owner and counts the attempt, and
 * the outcome is written only `WHERE lease_owner = owner AND attempts = attempt AND state =
 * 'in_flight'`. A dispatcher that outlived its lease (paused, partitioned, slow) therefore cannot
 * overwrite what the dispatcher that took the step over recorded. Its request may still have
 * reached the system: that is why every attempt carries the step's fixed idempotency key.
 */

export type ClaimedStep = WriteStep & { state: 'in_flight'; dependencies: Record<string, StepResult> };

/**
 * Claims up to `limit` steps that are due: pending or retry_scheduled with `next_attempt_at`
 * passed, or in_flight with an expired lease (its dispatcher died or stalled), and whose
 * dependencies have all succeeded (an expired lease on the last allowed attempt is not
 * claimed: see `deadLetterAbandonedLastAttempts`). On PostgreSQL the candidate rows are locked with SKIP LOCKED,
 * so concurrent claimers in any number of processes take disjoint steps without waiting on each
 * other; on SQLite the transaction holds the single write lock. Either way a step is leased to
 * one dispatcher at a time.
 */
export async function claimDueSteps(
  store: SqlStore,
  claim: { owner: string; leaseMs: number; limit: number; now: number },
): Promise<ClaimedStep[]> {
  return store.transaction(async (tx) => {
    const rows = await tx.query<StepRow>(
      `UPDATE write_steps
         SET state = 'in_flight', lease_owner = $1, lease_expires_at = $2, attempts = attempts + 1,
             next_attempt_at = NULL, updated_at = $3
       WHERE id IN (
         SELECT s.id FROM write_steps s
         WHERE ((s.state IN ('pending', 'retry_scheduled') AND s.next_attempt_at <= $3)
                OR (s.state = 'in_flight' AND s.lease_expires_at <= $3 AND s.attempts < s.max_attempts))
           AND NOT EXISTS (
             SELECT 1 FROM write_step_dependencies d JOIN write_steps p ON p.id = d.depends_on_step_id
             WHERE d.step_id = s.id AND p.state <> 'succeeded')
         ORDER BY s.created_at, s.ordinal
         LIMIT $4
         ${store.dialect.lockRowsSkipLocked})
       RETURNING ${STEP_COLUMNS.join(', ')}`,
      [claim.owner, claim.now + claim.leaseMs, claim.now, claim.limit],
    );
    if (rows.length === 0) return [];
    const ids = rows.map((row) => row.id);
    const dependencies = await tx.query<{ step_id: string; name: string; external_id: string | null; result: string | null }>(
      `SELECT d.step_id, p.name, p.external_id, p.result
       FROM write_step_dependencies d JOIN write_steps p ON p.id = d.depends_on_step_id
       WHERE d.step_id IN (${placeholders(ids.length, 1)})`,
      ids,
    );
    return rows.map((row) => {
      const mine = dependencies.filter((dependency) => dependency.step_id === row.id);
      const results = Object.fromEntries(
        mine.map((d) => [d.name, { externalId: d.external_id, result: d.result === null ? null : parseJson(d.result) }]),
      );
      return { ...(toWriteStep(row, mine.map((d) => d.name)) as ClaimedStep), dependencies: results };
    });
  });
}

export type RecordResult = { fenced: true } | ({ fenced: false } & ReconcileResult);

/**
 * Writes the outcome of the attempt `step.attempts` if `owner` still holds the lease, then
 * applies the operation's rules (reconcile.ts) in the same transaction. `fenced: true` means the
 * lease was lost and nothing was written.
 */
export async function recordOutcome(
  store: SqlStore,
  step: { id: string; operationId: string; attempts: number },
  owner: string,
  settlement: Settlement,
  now: number,
): Promise<RecordResult> {
  return store.transaction(async (tx) => {
    const lease = [step.id, owner, step.attempts, now] as const;
    const fence = `WHERE id = $1 AND lease_owner = $2 AND attempts = $3 AND state = 'in_flight'`;
    const release = 'lease_owner = NULL, lease_expires_at = NULL, updated_at = $4';
    let written: number;
    switch (settlement.state) {
      case 'succeeded':
        written = await tx.exec(
          `UPDATE write_steps SET state = 'succeeded', external_id = $5, result = $6, last_error = NULL, ${release} ${fence}`,
          [...lease, settlement.externalId, JSON.stringify(settlement.result ?? null)],
        );
        break;
      case 'retry_scheduled':
        written = await tx.exec(
          `UPDATE write_steps SET state = 'retry_scheduled', next_attempt_at = $5, last_error = $6,
             attempts = attempts - ${settlement.attemptNotCounted ? 1 : 0}, ${release} ${fence}`,
          [...lease, settlement.nextAttemptAt, settlement.lastError],
        );
        break;
      case 'dead':
        written = await tx.exec(
          `UPDATE write_steps SET state = 'dead', dead_cause = $5, last_error = $6, ${release} ${fence}`,
          [...lease, settlement.deadCause, settlement.lastError],
        );
        break;
      default:
        return assertNever(settlement, 'settlement');
    }
    if (written === 0) return { fenced: true };
    const operation = await lockOperation(tx, step.operationId, now);
    if (!operation) throw new Error(`write step ${step.id} belongs to no operation (${step.operationId})`);
    return { fenced: false, ...(await reconcileOperation(tx, operation, now)) };
  });
}

/**
 * An expired lease on a step's last allowed attempt: its dispatcher died or stalled mid-attempt
 * and will not record it. The step is dead-lettered (`exhausted`) instead of being sent again,
 * so a step that crashes every process that sends it stops after `max_attempts` rather than
 * looping forever. Its last request may have reached the system; a replay resends it with the
 * same idempotency key.
 */
export async function deadLetterAbandonedLastAttempts(store: SqlStore, now: number): Promise<Array<{ operationId: string } & ReconcileResult>> {
  return store.transaction(async (tx) => {
    const rows = await tx.query<{ operation_id: string }>(
      `UPDATE write_steps
         SET state = 'dead', dead_cause = 'exhausted', last_error = $2, lease_owner = NULL, lease_expires_at = NULL, updated_at = $1
       WHERE state = 'in_flight' AND lease_expires_at <= $1 AND attempts >= max_attempts
       RETURNING operation_id`,
      [now, 'the last attempt got no recorded answer: its dispatcher stopped before its lease expired'],
    );
    const results: Array<{ operationId: string } & ReconcileResult> = [];
    for (const operationId of new Set(rows.map((row) => row.operation_id))) {
      const operation = await lockOperation(tx, operationId, now);
      if (operation) results.push({ operationId, ...(await reconcileOperation(tx, operation, now)) });
    }
    return results;
  });
}
