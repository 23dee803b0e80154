import type { DeadLetter } from '../writes/outbox-reads.ts';
import type { OperationStatus, WriteStep } from '../writes/types.ts';

/** What `interchange replay` prints: dead letters grouped by operation, and what each replay revived. */

export type StepReplay =
  | { id: string; error: string }
  | { id: string; operationId: string; mutation: string; status: OperationStatus; steps: WriteStep[] };

const REASON_WIDTH = 160;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const clip = (text: string) => (text.length > REASON_WIDTH ? `${text.slice(0, REASON_WIDTH - 1)}…` : text);

function describeFilter(filter: { connector?: string | undefined; mutation?: string | undefined }): string {
  const parts = [filter.connector && `connector ${filter.connector}`, filter.mutation && `mutation ${filter.mutation}`].filter(Boolean);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

export function formatDeadLetters(letters: readonly DeadLetter[], limit: number, filter: { connector?: string | undefined; mutation?: string | undefined }): string {
  if (letters.length === 0) return `No dead letters${describeFilter(filter)}.`;
  const shown = letters.slice(0, limit);
  const lines = [`${plural(letters.length, 'dead letter')}${describeFilter(filter)}, oldest first:`];
  let operation: string | undefined;
  for (const { operationId, mutation, step } of shown) {
    if (operationId !== operation) {
      operation = operationId;
      lines.push('', `  operation ${operationId}  ${mutation}`);
    }
    const cause = step.deadCause === 'dependency' ? 'not sent: a step it needs is dead' : `${step.deadCause} after ${plural(step.attempts, 'attempt')}`;
    lines.push(`    step ${step.id}  ${step.name} → ${step.connector}.${step.endpoint}  ${cause}, ${new Date(step.updatedAt).toISOString()}`);
    lines.push(`      ${clip(step.lastError)}`);
  }
  if (letters.length > shown.length) lines.push('', `…and ${letters.length - shown.length} more (--limit ${letters.length} shows them all).`);
  lines.push(
    '',
    'Replay with: interchange replay <operation or step id>, --all, --connector <name> or --mutation <name> (--dry-run first to see what would change).',
  );
  return lines.join('\n');
}

/** What a replay did (or would do, `dryRun`), for stdout; ids that matched nothing are reported separately (`formatReplayErrors`). */
export function formatReplays(results: readonly StepReplay[], dryRun: boolean): string {
  const done = results.filter((result): result is Extract<StepReplay, { steps: WriteStep[] }> => !('error' in result));
  if (results.length === 0) return 'Nothing to replay: no dead letters match.';
  if (done.length === 0) return '';
  const steps = done.reduce((sum, result) => sum + result.steps.length, 0);
  const operations = new Set(done.filter((result) => result.steps.length > 0).map((result) => result.operationId)).size;
  const lines = [`${dryRun ? 'Would replay' : 'Replayed'} ${plural(steps, 'step')} in ${plural(operations, 'operation')}:`];
  for (const result of done) {
    if (result.steps.length === 0) {
      lines.push(`  operation ${result.operationId}  ${result.mutation}: nothing to replay, no step is dead (status ${result.status})`);
      continue;
    }
    lines.push(`  operation ${result.operationId}  ${result.mutation}${dryRun ? '' : ` → ${result.status}`}`);
    for (const step of result.steps) lines.push(`    step ${step.id}  ${step.name} → ${step.connector}.${step.endpoint}`);
  }
  lines.push('');
  if (dryRun) lines.push('Nothing was changed (--dry-run).');
  else if (steps > 0) {
    lines.push(
      'The replayed steps are pending again with their original idempotency keys. This command sent nothing itself: the',
      "dispatchers of the gateways running on this database send them on their next poll (within about a second); with no",
      'gateway running, they wait for the next one to start. Follow them with the writeOperation(id) query.',
    );
  } else lines.push('No step was dead: nothing changed.');
  return lines.join('\n');
}

export function formatReplayErrors(results: readonly StepReplay[]): string {
  return results.flatMap((result) => ('error' in result ? [`interchange replay: ${result.id}: ${result.error}`] : [])).join('\n');
}
