import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { SqlStore } from '../store/sql-store.ts';
import { afterChange, runAttempt, type AttemptContext } from './attempt.ts';
import { claimDueSteps, deadLetterAbandonedLastAttempts, type ClaimedStep } from './leases.ts';
import type { Outbox } from './outbox.ts';
import { DEFAULT_BACKOFF, type BackoffOptions } from './retry.ts';
import type { DeadLetterAlert, OperationStatus, StepExecutor } from './types.ts';

/**
 * The dispatcher sends committed steps to their systems. Any number of dispatchers, in one
 * process or many, may run over one database: each claims due steps under a lease (leases.ts),
 * runs at most `concurrency` at a time, and records each outcome only while its lease holds.
 *
 * What happens on a crash: a step whose dispatcher dies stays `in_flight` until its lease
 * expires, then any dispatcher claims it again and resends it with the same idempotency key.
 * So a step may reach a system more than once (the key lets the system answer with the first
 * result), but never from two dispatchers at once as long as the executor honours the lease's
 * abort signal, and an acknowledged step is never lost.
 */
export interface DispatcherOptions {
  store: SqlStore;
  outbox: Outbox;
  executor: StepExecutor;
  /** Written into leases; unique per dispatcher. Default `<host>:<pid>:<random>`. */
  owner?: string | undefined;
  /** How long a claim stays ours; attempts must finish within it. Default 30 s. */
  leaseMs?: number | undefined;
  /** How often to look for due steps (retries coming due, expired leases). Default 1 s. */
  pollMs?: number | undefined;
  /** Steps in flight at once in this dispatcher. Default 8. */
  concurrency?: number | undefined;
  backoff?: Partial<BackoffOptions> | undefined;
  metrics?: Metrics | undefined;
  logger?: Logger | undefined;
  /** Called once per incident: the first dead step of an operation (see reconcile.ts). */
  alert?: ((alert: DeadLetterAlert) => void | Promise<void>) | undefined;
  /** Called after a step's outcome is committed. */
  onChange?: ((change: { operationId: string; status: OperationStatus }) => void) | undefined;
}

export interface Dispatcher {
  readonly owner: string;
  /** Starts the poll loop. A stopped dispatcher does not start again: create another. */
  start(): void;
  /** Looks for due steps now: call after an enqueue or a replay so the happy path has no poll delay. */
  kick(): void;
  /**
   * Stops claiming and waits for the steps in flight, at most until their leases expire: past
   * that point their outcomes would be discarded anyway, and another dispatcher may take them.
   */
  stop(): Promise<void>;
}

type Phase = { phase: 'idle' } | { phase: 'running'; timer: NodeJS.Timeout } | { phase: 'stopped' };

interface InFlight {
  done: Promise<void>;
  abort: AbortController;
  leaseExpiresAt: number;
}

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const settings = normalise(options);
  const { store, owner, leaseMs, concurrency, logger } = settings;
  settings.metrics?.countOutboxWith(() => countForGauges(settings));
  const context: AttemptContext = settings;
  let phase: Phase = { phase: 'idle' };
  let ticking: Promise<void> | undefined;
  let again = false;
  // Keyed by attempt: an attempt that outlived its lease may still run when its step is claimed again.
  const inFlight = new Map<string, InFlight>();

  const kick = () => {
    if (phase.phase !== 'running') return;
    if (ticking) {
      again = true;
      return;
    }
    ticking = claimAndLaunch().finally(() => {
      ticking = undefined;
      if (again) {
        again = false;
        kick();
      }
    });
  };

  async function claimAndLaunch(): Promise<void> {
    const free = concurrency - inFlight.size;
    if (free <= 0) return;
    try {
      const claimed = await claimDueSteps(store, { owner, leaseMs, limit: free, now: Date.now() });
      for (const step of claimed) launch(step);
    } catch (error) {
      logger?.error({ err: error, owner }, 'claiming due write steps failed; the next poll tries again');
    }
  }

  function launch(step: ClaimedStep): void {
    const key = `${step.id}:${step.attempts}`;
    const abort = new AbortController();
    const leaseTimer = setTimeout(() => abort.abort(new Error('the lease on this write step expired')), Math.max(0, step.leaseExpiresAt - Date.now()));
    const done = runAttempt(context, step, abort.signal)
      .catch((error: unknown) => logger?.error({ err: error, stepId: step.id, owner }, 'recording a write step outcome failed; its lease will expire and it will be retried'))
      .finally(() => {
        clearTimeout(leaseTimer);
        inFlight.delete(key);
        kick();
      });
    inFlight.set(key, { done, abort, leaseExpiresAt: step.leaseExpiresAt });
  }

  async function poll(): Promise<void> {
    try {
      for (const change of await deadLetterAbandonedLastAttempts(store, Date.now())) await afterChange(context, change);
    } catch (error) {
      logger?.error({ err: error, owner }, 'dead-lettering abandoned last attempts failed; the next poll tries again');
    }
    kick();
    if (phase.phase === 'running') phase = { phase: 'running', timer: setTimeout(() => void poll(), settings.pollMs) };
  }

  return {
    owner,
    start() {
      if (phase.phase !== 'idle') return;
      phase = { phase: 'running', timer: setTimeout(() => void poll(), settings.pollMs) };
      kick();
    },
    kick,
    async stop() {
      if (phase.phase === 'running') clearTimeout(phase.timer);
      phase = { phase: 'stopped' };
      await ticking;
      await settleOrExpire([...inFlight.values()]);
    },
  };
}

/** Waits for the attempts to finish, or for the last of their leases to expire; then aborts what is left. */
async function settleOrExpire(running: InFlight[]): Promise<void> {
  const leaseEnd = Math.max(Date.now(), ...running.map((entry) => entry.leaseExpiresAt));
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<void>((resolve) => (timer = setTimeout(resolve, leaseEnd - Date.now())));
  await Promise.race([Promise.allSettled(running.map((entry) => entry.done)), expired]);
  clearTimeout(timer);
  for (const entry of running) entry.abort.abort(new Error('the dispatcher stopped'));
}

/**
 * Gauges from SQL counts, so every instance reports the same totals. Counted when /metrics is
 * read, not after every change: a count per step change was a quarter of PostgreSQL's CPU under
 * write load.
 */
async function countForGauges(settings: { outbox: Outbox; logger: Logger | undefined }) {
  try {
    const counts = await settings.outbox.counts();
    return { pending: counts.pending + counts.in_flight + counts.retry_scheduled, dead: counts.dead };
  } catch (error) {
    settings.logger?.warn({ err: error }, 'counting outbox steps for the gauges failed');
    return undefined;
  }
}

function normalise(options: DispatcherOptions) {
  return {
    ...options,
    owner: options.owner ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    leaseMs: options.leaseMs ?? 30_000,
    pollMs: options.pollMs ?? 1_000,
    concurrency: options.concurrency ?? 8,
    backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
    metrics: options.metrics,
    logger: options.logger,
    alert: options.alert,
    onChange: options.onChange,
  };
}
