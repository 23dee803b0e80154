import { Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';

/**
 * The event bus is a doorbell, not a mailbox: an announcement says "the log has grown to seq N",
 * and each process's hub then reads the log itself. Nothing a subscriber receives travels over
 * the bus, so a lost, repeated or reordered announcement (Redis pub/sub promises none of these)
 * can delay an event, never lose it, duplicate it or reorder it. Several gateways that share a
 * Redis but not a database (test suites do) only wake each other for an empty read.
 *
 * `undefined` as the hint means "something may have been missed": read whatever is new.
 */
export type Announcement = (hint: number | undefined) => void;

export interface EventBus {
  /** Tells every process, this one included, that the log holds `seq`. Never rejects. */
  announce(seq: number): Promise<void>;
  /** Calls `listener` for every announcement from any process. */
  listen(listener: Announcement): () => void;
  /** Resolves when announcements from other processes are being received. */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export const EVENT_CHANNEL = 'interchange:events';

function listeners() {
  const set = new Set<Announcement>();
  return {
    add(listener: Announcement) {
      set.add(listener);
      return () => void set.delete(listener);
    },
    ring(hint: number | undefined) {
      for (const listener of [...set]) listener(hint);
    },
  };
}

/** One process: announcements are calls. */
export function createLocalBus(): EventBus {
  const local = listeners();
  return {
    async announce(seq) {
      local.ring(seq);
    },
    listen: local.add,
    ready: async () => undefined,
    close: async () => undefined,
  };
}

/**
 * Many processes on one Redis. The announcing process rings its own listeners directly too, so
 * its subscribers never wait on Redis (and still hear of the event if Redis is down); the copy
 * that comes back through Redis is then a no-op for its hub.
 */
export function createRedisBus(options: { url: string; logger: Logger; channel?: string }): EventBus {
  const channel = options.channel ?? EVENT_CHANNEL;
  const local = listeners();
  const onError = (error: unknown) => options.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'event bus (Redis) error');
  const publisher = new Redis(options.url, { maxRetriesPerRequest: 3 });
  const subscriber = new Redis(options.url, { maxRetriesPerRequest: null });
  publisher.on('error', onError);
  subscriber.on('error', onError);
  subscriber.on('message', (_channel: string, message: string) => {
    const seq = Number(message);
    local.ring(Number.isSafeInteger(seq) ? seq : undefined);
  });
  // After a reconnect (ioredis resubscribes by itself) announcements may have been missed.
  let connectedOnce = false;
  subscriber.on('ready', () => {
    if (connectedOnce) local.ring(undefined);
    connectedOnce = true;
  });
  const subscribed = subscriber.subscribe(channel).then(() => undefined);
  subscribed.catch(onError);

  return {
    async announce(seq) {
      local.ring(seq);
      await publisher.publish(channel, String(seq)).catch(onError);
    },
    listen: local.add,
    ready: () => subscribed,
    async close() {
      await Promise.allSettled([publisher.quit(), subscriber.quit()]);
    },
  };
}
