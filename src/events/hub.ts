import type { Logger } from '../observability/logger.ts';
import type { EventBus } from './bus.ts';
import type { EventLog } from './log.ts';
import type { LoggedEvent } from './types.ts';

/**
 * One per process: tails the event log and hands each new row to this process's listeners
 * (live subscriptions), in seq order, each exactly once.
 *
 * How: the hub keeps a watermark (the highest seq it has handed out) and, whenever the bus rings
 * or the catch-up timer fires, reads `seq > watermark` from the log. Because the log numbers rows
 * in commit order (see `log.ts`), that read never skips a row that commits later. Reads never
 * overlap (one drain at a time; a ring during a drain makes it read again), so no row is handed
 * out twice. The watermark only moves past rows actually read from this process's own log: a
 * ring carrying a seq from a foreign log cannot make the hub skip anything.
 */

export type EventListener = (event: LoggedEvent) => void;

export interface EventHub {
  /**
   * Adds a listener. It receives, in seq order and once each, every row the hub reads after
   * this call: at least every row committed after it (and possibly a few committed just before,
   * which a resuming subscriber de-duplicates against its replay).
   */
  listen(listener: EventListener): () => void;
  /** Reads the log now; resolves once everything committed before the call has been handed out. */
  drain(): Promise<void>;
  stop(): void;
}

export interface HubOptions {
  log: EventLog;
  bus: EventBus;
  logger: Logger;
  /** Reads the log this often even when nothing rang: a lost announcement costs at most this delay. Default 1 s. */
  catchUpMs?: number;
  /** Rows per read. */
  batchSize?: number;
}

/**
 * Serialised reads of the log past the watermark. A call during a read makes that read go round
 * once more (the caller's row may have committed after it started) instead of starting another.
 */
function createDrainer(read: () => Promise<void>, logger: Logger) {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  async function loop(): Promise<void> {
    do {
      again = false;
      await read();
    } while (again && !stopped);
  }
  return {
    drain(): Promise<void> {
      if (stopped) return Promise.resolve();
      if (running) {
        again = true;
        return running;
      }
      running = loop()
        .catch((error: unknown) => logger.warn({ err: error }, 'reading the event log failed; retrying on the next ring'))
        .finally(() => {
          running = undefined;
        });
      return running;
    },
    stop(): void {
      stopped = true;
    },
  };
}

export async function startEventHub(options: HubOptions): Promise<EventHub> {
  const { log, bus, logger } = options;
  const batchSize = options.batchSize ?? 500;
  const listeners = new Set<EventListener>();
  let watermark = await log.head();

  function handOut(event: LoggedEvent): void {
    watermark = event.seq;
    for (const listener of [...listeners]) {
      try {
        listener(event);
      } catch (error) {
        logger.error({ err: error, seq: event.seq }, 'an event listener failed');
      }
    }
  }

  const drainer = createDrainer(async () => {
    for (;;) {
      const rows = await log.after(watermark, batchSize);
      for (const row of rows) handOut(row);
      if (rows.length < batchSize) return;
    }
  }, logger);
  const unlisten = bus.listen((hint) => {
    if (hint === undefined || hint > watermark) void drainer.drain();
  });
  const timer = setInterval(() => void drainer.drain(), options.catchUpMs ?? 1_000);
  timer.unref();

  return {
    listen(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    drain: () => drainer.drain(),
    stop() {
      drainer.stop();
      clearInterval(timer);
      unlisten();
      listeners.clear();
    },
  };
}
