import Bottleneck from 'bottleneck';
import { Redis } from 'ioredis';
import type { NormalizedConnector } from '../connectors/normalize.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { createLocalGate, createRedisGate, type DispatchGate } from './gate.ts';
import { sleep } from './sleep.ts';

/**
 * A connector's quota: calls queue (never fail) until the declared rate allows them, and wait
 * out any pause the backend asked for. In one process a small semaphore hands out the slots; with
 * Redis, Bottleneck's clustering does, so every instance shares them. Bottleneck is unmaintained,
 * so it stays behind this interface and nothing else in the engine imports it.
 */
export interface Quota {
  /**
   * Runs `fn` in a slot of the quota. `fn` calls `depart()` right before its request leaves:
   * that waits for the dispatch gate (pause, spacing between departures). Rejects with the
   * signal's reason when it aborts before the call departed; from then on `fn` owns the signal.
   */
  schedule<T>(fn: (depart: () => Promise<void>) => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Holds every call of this connector (every instance, with Redis) for `ms`. */
  pause(ms: number): Promise<void>;
  /** Calls of this instance waiting to depart. */
  queued(): number;
  close(): Promise<void>;
}

export interface QuotaDeps {
  redisUrl?: string | undefined;
  metrics: Metrics;
  logger: Logger;
}

type QuotaSpec = NonNullable<NormalizedConnector['quota']>;

/**
 * Why plain spacing and not a reservoir: a reservoir refilled every `perMs` counts fixed
 * windows, so a burst at the end of one window and another at the start of the next puts
 * 2 × requests inside one sliding window. Starting calls at least `perMs / requests` apart means
 * no window of `perMs` can hold more than `requests` starts, whichever window the backend
 * measures. The dispatch gate (gate.ts) enforces that spacing between actual departures, across
 * instances with Redis.
 *
 * On top of that, a jitter budget: the backend stamps arrivals, and one call can take longer
 * from departure to arrival than the next (a new connection, an event-loop stall, the network).
 * Spreading `perMs + budget` over the `requests` slots means any `requests + 1` consecutive
 * calls depart at least `perMs + budget` apart, so the backend still sees at most `requests` in
 * any window unless one call is delayed by more than the budget relative to another. Budget: 2 %
 * of the window, at least 100 ms (a 64 ms stall was seen with two gateways and a test runner on
 * two busy cores). Cost: 9 % of throughput on 1-second quotas, 2 % on minute and hour quotas. `maxConcurrent` bounds calls in flight, so a slow backend does not pile up open
 * requests.
 */
export function quotaSpacingMs(quota: QuotaSpec): number {
  const jitterBudgetMs = Math.max(quota.perMs * 0.02, 100);
  // Not rounded: a high quota (100000/second) spaces calls 11 µs apart, not a whole millisecond.
  return (quota.perMs + jitterBudgetMs) / quota.requests;
}

/** A pause never exceeds this, however far away a backend's Retry-After date lies. */
const MAX_PAUSE_MS = 60 * 60_000;

/** Thrown by `depart()` when a pause began after the slot was granted: the slot is given back. */
class Bounced extends Error {}
const BOUNCED = Symbol('bounced');
const ABANDONED = Symbol('abandoned');

export function createQuota(connector: NormalizedConnector, deps: QuotaDeps): Quota {
  const onError = (error: unknown) => deps.logger.warn({ connector: connector.name, err: error }, 'quota store error');
  // A few retries per command, not ioredis's 20: with Redis gone a call fails in well under a
  // second (UPSTREAM_UNAVAILABLE) instead of hanging until its deadline.
  // Named, so `CLIENT LIST` shows which connector holds which connection.
  const redis = deps.redisUrl ? new Redis(deps.redisUrl, { maxRetriesPerRequest: 3, connectionName: `interchange-quota-${connector.name}` }) : undefined;
  redis?.on('error', onError);
  const spacingMs = connector.quota ? quotaSpacingMs(connector.quota) : 0;
  const gate: DispatchGate = redis ? createRedisGate(redis, `interchange-quota:${connector.name}`, spacingMs, onError) : createLocalGate(spacingMs);
  const limiter = !connector.quota ? undefined : redis ? createRedisLimiter(connector, connector.quota, redis, onError) : createLocalLimiter(connector.quota.concurrency);
  const gauge = deps.metrics.quotaQueued.labels({ connector: connector.name });
  let waiting = 0;
  gauge.set(0);

  /** Waits out a pause this instance knows of before taking a slot it could not use. */
  async function waitWhilePaused(signal?: AbortSignal): Promise<void> {
    for (let left = gate.knownPauseMs(); left > 0; left = gate.knownPauseMs()) await sleep(left, signal);
  }

  /**
   * Spacing waits are short and keep the slot (giving it back would reorder calls); a pause may
   * be long, so the slot goes back and the call queues again once the pause is over.
   */
  async function departWhenAllowed(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) throw signal.reason;
      const claim = await gate.claim();
      if (claim.go) return;
      if ('pausedMs' in claim) throw new Bounced();
      await sleep(claim.spacingMs, signal);
    }
  }

  return {
    schedule<T>(fn: (depart: () => Promise<void>) => Promise<T>, signal?: AbortSignal): Promise<T> {
      let inQueue = true;
      const leaveQueue = () => {
        if (!inQueue) return;
        inQueue = false;
        gauge.set(--waiting);
      };
      gauge.set(++waiting);
      const depart = async () => {
        await departWhenAllowed(signal);
        leaveQueue();
      };
      const job = async (): Promise<{ value: T } | typeof BOUNCED | typeof ABANDONED> => {
        if (signal?.aborted) return ABANDONED;
        try {
          return { value: await fn(depart) };
        } catch (error) {
          if (error instanceof Bounced) return BOUNCED;
          throw error;
        }
      };
      const run = async (): Promise<T> => {
        for (let round = 0; ; round++) {
          await waitWhilePaused(signal);
          const outcome = limiter ? await limiter.run(job, round > 0) : await job();
          if (outcome === ABANDONED) throw signal?.reason;
          if (outcome !== BOUNCED) return outcome.value;
        }
      };
      return new Promise<T>((resolve, reject) => {
        const onAbort = () => {
          if (!inQueue) return;
          leaveQueue();
          reject(signal?.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        run()
          .then(resolve, reject)
          .finally(() => {
            signal?.removeEventListener('abort', onAbort);
            leaveQueue();
          });
      });
    },
    pause: (ms) => gate.pause(Math.min(Math.max(0, ms), MAX_PAUSE_MS)),
    queued: () => waiting,
    async close() {
      await limiter?.close();
      if (redis && !limiter) await redis.quit().catch(() => redis.disconnect());
    },
  };
}

interface Limiter {
  /**
   * `again`: the call lost its slot to a pause; it goes ahead of calls that never had one.
   * Rejects with the job's own error, or with a QuotaUnavailableError when the limiter itself
   * failed (its Redis is unreachable, it was stopped).
   */
  run<T>(job: () => Promise<T>, again: boolean): Promise<T>;
  close(): Promise<void>;
}

/** Resolves with `promise`, or rejects with QuotaUnavailableError after `ms`; the timer is cleared. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new QuotaUnavailableError(new Error(`Redis did not answer within ${ms} ms`))), ms);
  });
  try {
    await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The limiter, not the call, failed: the connector cannot be rate limited right now. */
export class QuotaUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the quota limiter failed', { cause });
    this.name = 'QuotaUnavailableError';
  }
}

/**
 * Without Redis: a semaphore of `concurrency` slots, handed over in order (a call that lost its
 * slot to a pause first). The dispatch gate does the spacing, so nothing else is needed here;
 * Bottleneck's local datastore would add several timer hops per call.
 */
function createLocalLimiter(concurrency: number): Limiter {
  let free = concurrency;
  const waiting: Array<() => void> = [];
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else free++;
  };
  return {
    async run(job, again) {
      if (free > 0) free--;
      else await new Promise<void>((resolve) => (again ? waiting.unshift(resolve) : waiting.push(resolve)));
      try {
        return await job();
      } finally {
        release();
      }
    },
    async close() {},
  };
}

/**
 * With Redis: bottleneck clustering, one limiter id per connector so every instance shares the
 * spacing and the concurrency. Each instance has its own connection (two limiters with one id
 * on one connection hang), settings are pushed with `updateSettings()` at start (the first
 * limiter to connect would otherwise impose its settings on all later ones), keys expire after
 * `timeout` of inactivity, and every job carries an `expiration` so a crashed instance's running
 * jobs are freed.
 */
function createRedisLimiter(connector: NormalizedConnector, quota: QuotaSpec, redis: Redis, onError: (e: unknown) => void): Limiter {
  const settings = { minTime: Math.ceil(quotaSpacingMs(quota)), maxConcurrent: quota.concurrency };
  // A job holds its slot through a token request and the call itself (each bounded by
  // requestMs) and through its wait at the departure gate (at most one spacing per slot).
  const expiration = 2 * connector.timeouts.requestMs + connector.timeouts.connectMs + quota.concurrency * settings.minTime + 1_000;
  const connection = new Bottleneck.IORedisConnection({ client: redis, Redis });
  connection.on('error', onError);
  const limiter = new Bottleneck({
    ...settings,
    id: `interchange-quota-${connector.name}`,
    datastore: 'ioredis',
    connection,
    timeout: Math.max(10 * settings.minTime, 5 * 60_000),
  });
  limiter.on('error', onError);
  // Awaited before every job; a failure is logged and the stored settings stay in force. Until
  // Redis has answered once, bottleneck would queue jobs silently: bounded here instead.
  const ready: Promise<unknown> = Promise.resolve(limiter.updateSettings(settings)).catch(onError);
  let connected = false;
  void ready.then(() => (connected = true));
  const connectWithinMs = connector.timeouts.connectMs + connector.timeouts.requestMs;

  return {
    async run(job, again) {
      if (!connected) await within(ready, connectWithinMs);
      let failed: { error: unknown } | undefined;
      const marked = async () => {
        try {
          return await job();
        } catch (error) {
          failed = { error };
          throw error;
        }
      };
      try {
        return await limiter.schedule({ expiration, priority: again ? 4 : 5 }, marked);
      } catch (error) {
        throw failed ? failed.error : new QuotaUnavailableError(error);
      }
    },
    async close() {
      await limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
      await connection.disconnect(true).catch(() => undefined);
    },
  };
}
