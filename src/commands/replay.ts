import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, type Environment } from '../config/index.ts';
import { ConfigurationError, InterchangeError } from '../errors.ts';
import { createSqlStore, type SqlStore } from '../store/sql-store.ts';
import { createOutbox, replaySet, type Outbox } from '../writes/outbox.ts';
import type { DeadLetter } from '../writes/outbox-reads.ts';
import { formatDeadLetters, formatReplayErrors, formatReplays, type StepReplay } from './replay-output.ts';

/**
 * `interchange replay`: the dead letters of the outbox, listed or revived from the command line.
 *
 * It opens the gateway's own database (DATABASE_URL, or the SQLite file under DATA_DIR) and
 * changes rows in the outbox; it sends nothing upstream itself. A replayed step becomes pending
 * again, due now, with its original idempotency key, and the dispatchers of the gateways running
 * on that database send it on their next poll. What the outbox guarantees holds here too: only
 * dead steps are revived, so a step that already succeeded is never sent again, and a second
 * replay of the same thing changes nothing.
 *
 * Exit code 0 when the listing or every replay asked for went through (including "nothing was
 * dead"), 1 on a usage error, an unknown id, or a database that cannot be read.
 */

export const REPLAY_USAGE = `Usage: interchange replay [options] [<id> ...]

Lists dead-lettered write steps, or replays them. A replayed step is made pending again with its
original idempotency key; the running gateways' dispatchers send it. Steps that succeeded are
never sent again.

  interchange replay                      list the dead letters
  interchange replay <id> [<id> ...]      replay an operation (all its dead steps) or one step, by id
  interchange replay --all                replay every dead letter
  interchange replay --connector <name>   replay the dead letters of one connector (e.g. pms)
  interchange replay --mutation <name>    replay the dead letters of one mutation (e.g. createCustomer)

Options:
  --list           list instead of replaying (with --connector / --mutation: only those)
  --dry-run        show what would be replayed and change nothing
  --limit <n>      list at most n dead letters (default 50)
  --json           print JSON instead of text
  -h, --help       this text

Uses the gateway's configuration: DATABASE_URL (PostgreSQL), or DATA_DIR (SQLite, default ./data).`;

export interface ReplayFilter {
  connector?: string | undefined;
  mutation?: string | undefined;
}

export type ReplayRequest =
  | { action: 'help' }
  | { action: 'list'; filter: ReplayFilter; limit: number; json: boolean }
  | { action: 'replay'; target: { ids: string[] } | { filter: ReplayFilter }; dryRun: boolean; json: boolean };

/** A command line the command cannot act on: shown with the usage, exit code 1. */
export class UsageError extends Error {}

export function parseReplayArgs(argv: readonly string[]): ReplayRequest {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        all: { type: 'boolean' },
        connector: { type: 'string' },
        mutation: { type: 'string' },
        list: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        limit: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals: ids } = parsed;
  if (values.help) return { action: 'help' };
  const filter: ReplayFilter = { connector: values.connector, mutation: values.mutation };
  const filtered = filter.connector !== undefined || filter.mutation !== undefined;
  const json = values.json ?? false;
  const dryRun = values['dry-run'] ?? false;
  if (values.list && (ids.length > 0 || values.all || dryRun)) throw new UsageError('--list takes no ids, --all or --dry-run: it changes nothing anyway');
  if (ids.length > 0 && (values.all || filtered)) throw new UsageError('give either ids or --all / --connector / --mutation, not both');
  if (values.all && filtered) throw new UsageError('--all replays every dead letter: drop it to replay only those of --connector / --mutation');
  if (values.limit !== undefined && !values.list && (ids.length > 0 || values.all || filtered)) throw new UsageError('--limit applies to listing only');
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a whole number of at least 1, got "${values.limit}"`);
  if (values.list || (ids.length === 0 && !values.all && !filtered)) {
    if (dryRun) throw new UsageError('--dry-run needs something to replay: ids, --all, --connector or --mutation');
    return { action: 'list', filter, limit, json };
  }
  return { action: 'replay', target: ids.length > 0 ? { ids } : { filter }, dryRun, json };
}

const matches = (letter: DeadLetter, filter: ReplayFilter) =>
  (filter.connector === undefined || letter.step.connector === filter.connector) && (filter.mutation === undefined || letter.mutation === filter.mutation);

/** Every dead letter now (the outbox lists by count, so ask for as many as there are). */
async function allDeadLetters(outbox: Outbox): Promise<DeadLetter[]> {
  const { dead } = await outbox.counts();
  return dead === 0 ? [] : outbox.deadLetters({ first: dead + 100 });
}

/**
 * Replays `ids` (operations or steps) one after another. Each replay is its own transaction;
 * an unknown id is reported and the others still go through. A step id already revived by an
 * earlier one in this run (a dependency it brought along) is skipped rather than reported as
 * "nothing to replay".
 */
async function replayIds(outbox: Outbox, ids: readonly string[], dryRun: boolean): Promise<StepReplay[]> {
  const results: StepReplay[] = [];
  const covered = new Set<string>();
  const letters = dryRun ? await allDeadLetters(outbox) : [];
  for (const id of ids) {
    if (covered.has(id)) continue;
    try {
      let result: StepReplay;
      if (dryRun) {
        const preview = await previewReplay(outbox, letters, id);
        result = 'steps' in preview ? { ...preview, steps: preview.steps.filter((step) => !covered.has(step.id)) } : preview;
      } else {
        const replayed = await outbox.replay(id);
        const operation = await outbox.getOperation(replayed.operationId);
        const steps = (operation?.steps ?? []).filter((step) => replayed.replayedStepIds.includes(step.id));
        result = { id, operationId: replayed.operationId, mutation: operation?.mutation ?? '', status: replayed.status, steps };
      }
      if ('steps' in result) for (const step of result.steps) covered.add(step.id);
      results.push(result);
    } catch (error) {
      if (!(error instanceof InterchangeError && error.code === 'NOT_FOUND')) throw error;
      results.push({ id, error: error.message });
    }
  }
  return results;
}

/**
 * What a replay of `id` would revive, computed as the replay computes it (`replaySet`), changing
 * nothing. A step is found among the dead letters: a dry run names only dead steps, or operations.
 */
async function previewReplay(outbox: Outbox, letters: readonly DeadLetter[], id: string): Promise<StepReplay> {
  const byStep = letters.find((letter) => letter.step.id === id);
  const operation = await outbox.getOperation(byStep?.operationId ?? id);
  if (!operation) return { id, error: `no write operation, and no dead step, has the id ${id}` };
  const ids = new Map(operation.steps.map((step) => [step.name, step.id] as const));
  const rows = operation.steps.map((step) => ({ id: step.id, state: step.state, dead_cause: step.state === 'dead' ? step.deadCause : null }));
  const edges = operation.steps.flatMap((step) => step.dependsOn.map((name) => ({ step_id: step.id, depends_on_step_id: ids.get(name) ?? name })));
  const chosen = new Set(byStep ? replaySet(rows, edges, id) : rows.filter((row) => row.state === 'dead').map((row) => row.id));
  return { id, operationId: operation.id, mutation: operation.mutation, status: operation.status, steps: operation.steps.filter((step) => chosen.has(step.id)) };
}

export interface ReplayIo {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** The command against an open outbox: transport-free, so it runs the same over either database. */
export async function runReplay(request: Exclude<ReplayRequest, { action: 'help' }>, outbox: Outbox, io: ReplayIo): Promise<number> {
  if (request.action === 'list') {
    const letters = (await allDeadLetters(outbox)).filter((letter) => matches(letter, request.filter));
    io.out(request.json ? JSON.stringify(letters.slice(0, request.limit).map(deadLetterJson), null, 2) : formatDeadLetters(letters, request.limit, request.filter));
    return 0;
  }
  let ids: string[];
  if ('ids' in request.target) ids = request.target.ids;
  else {
    const { filter } = request.target;
    const letters = (await allDeadLetters(outbox)).filter((letter) => matches(letter, filter));
    // Unfiltered, whole operations are replayed; filtered, each matching step (bringing along the
    // dead steps it needs and those that died only because of it).
    ids = [...new Set(letters.map((letter) => (filter.connector === undefined && filter.mutation === undefined ? letter.operationId : letter.step.id)))];
  }
  const results = await replayIds(outbox, ids, request.dryRun);
  if (request.json) io.out(JSON.stringify(results.map(replayJson), null, 2));
  else {
    const report = formatReplays(results, request.dryRun);
    const errors = formatReplayErrors(results);
    if (report) io.out(report);
    if (errors) io.err(errors);
  }
  return results.some((result) => 'error' in result) ? 1 : 0;
}

function deadLetterJson(letter: DeadLetter) {
  const { step } = letter;
  return {
    operationId: letter.operationId,
    mutation: letter.mutation,
    stepId: step.id,
    step: step.name,
    connector: step.connector,
    endpoint: step.endpoint,
    attempts: step.attempts,
    deadCause: step.deadCause,
    error: step.lastError,
    diedAt: new Date(step.updatedAt).toISOString(),
  };
}

function replayJson(result: StepReplay) {
  if ('error' in result) return { id: result.id, error: result.error };
  return {
    id: result.id,
    operationId: result.operationId,
    mutation: result.mutation,
    status: result.status,
    replayedSteps: result.steps.map((step) => ({ stepId: step.id, step: step.name, connector: step.connector, endpoint: step.endpoint })),
  };
}

async function openOutbox(env: Environment): Promise<{ store: SqlStore; outbox: Outbox; where: string }> {
  const config = loadConfig(env);
  if (config.databaseUrl) {
    const url = new URL(config.databaseUrl);
    const store = await createSqlStore({ databaseUrl: config.databaseUrl, poolSize: 2, migrate: false });
    return { store, outbox: createOutbox(store), where: `PostgreSQL ${url.host}${url.pathname}` };
  }
  const sqlitePath = join(config.dataDir, 'interchange.db');
  if (!existsSync(sqlitePath)) {
    throw new ConfigurationError(`no outbox at ${sqlitePath}: run this where the gateway runs, or set DATA_DIR or DATABASE_URL as the gateway has them`);
  }
  const store = await createSqlStore({ sqlitePath, migrate: false });
  return { store, outbox: createOutbox(store), where: `SQLite ${sqlitePath}` };
}

/** A database without the outbox tables answers "no such table" (SQLite) or 42P01 (PostgreSQL). */
function missingTables(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === '42P01' || (typeof message === 'string' && message.includes('no such table'));
}

/** `interchange replay …`: resolves with the exit code. */
export async function replayCommand(argv: readonly string[], env: Environment = process.env, io: ReplayIo = defaultIo): Promise<number> {
  let request: ReplayRequest;
  try {
    request = parseReplayArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`interchange replay: ${error.message}\n\n${REPLAY_USAGE}`);
    return 1;
  }
  if (request.action === 'help') {
    io.out(REPLAY_USAGE);
    return 0;
  }
  let opened: Awaited<ReturnType<typeof openOutbox>> | undefined;
  try {
    opened = await openOutbox(env);
    if (!request.json) io.err(`Outbox: ${opened.where}`);
    return await runReplay(request, opened.outbox, io);
  } catch (error) {
    if (error instanceof ConfigurationError) io.err(`interchange replay: ${error.message}`);
    else if (missingTables(error)) io.err('interchange replay: this database has no outbox tables: is it the one the gateway uses? (start the gateway once to create them)');
    else io.err(`interchange replay: the outbox cannot be read: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await opened?.store.close();
  }
}

const defaultIo: ReplayIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};
