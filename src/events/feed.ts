import { InterchangeError } from '../errors.ts';
import type { EventHub } from './hub.ts';
import type { EventLog } from './log.ts';
import type { LoggedEvent } from './types.ts';

/**
 * One subscriber's stream of events: optionally what it missed (replayed from the log), then
 * live events, with no gap and no duplicate.
 *
 * The handover, in this order:
 * 1. Listen to the hub FIRST, buffering what arrives. From here on, every row that commits
 *    reaches the buffer.
 * 2. Replay: read the rows after the subscriber's cursor from the log. This read happens after
 *    step 1, so together they cover everything: a row committed before the listener existed is
 *    in the replay; one committed after it is in the buffer; one in between may be in both.
 * 3. Yield the replay, then the buffer, then live events — skipping any row whose seq is not
 *    above the last one yielded. Replay and hub both deliver in seq order, and seq follows commit
 *    order, so "seq ≤ last yielded" means exactly "already sent". The subscriber therefore sees
 *    strictly increasing cursors, and its last cursor is always a complete resume point.
 *
 * The replay window is bounded (newest `maxEvents` rows, none older than `maxAgeMs`): a
 * subscriber that was away longer gets the window, not the whole history.
 */

export interface FeedOptions {
  hub: EventHub;
  log: EventLog;
  /** Default 1,000. */
  maxReplayEvents?: number;
  /** Default 24 h. */
  maxReplayAgeMs?: number;
  /** Live events buffered for one slow subscriber before it is ended with an error; default 10,000. */
  maxQueue?: number;
}

export interface Subscription {
  /** Which events this subscriber wants (event types and argument filters). */
  match: (event: LoggedEvent) => boolean;
  /** Resume after this cursor (seq): replay what followed it before live events. */
  after?: number | undefined;
}

export interface EventFeed {
  subscribe(subscription: Subscription): AsyncIterableIterator<LoggedEvent>;
  /** Ends every subscription (each stream completes after what it already holds); for shutdown. */
  close(): void;
}

export const FEED_DEFAULTS = { maxReplayEvents: 1_000, maxReplayAgeMs: 24 * 3_600_000, maxQueue: 10_000 } as const;

type Inbox = ReturnType<typeof createInbox>;

/** Live events waiting for one subscriber, bounded: a subscriber that stops reading is ended, not buffered forever. */
function createInbox(maxQueue: number, lastSent: () => number) {
  const queue: LoggedEvent[] = [];
  let wake: (() => void) | undefined;
  let failure: Error | undefined;
  let closed = false;
  const notify = () => wake?.();
  return {
    push(event: LoggedEvent): void {
      if (closed) return;
      if (queue.length >= maxQueue) {
        failure = new InterchangeError('INTERNAL_SERVER_ERROR', `this subscriber fell more than ${maxQueue} events behind; subscribe again with after: "${lastSent()}"`);
        closed = true;
      } else queue.push(event);
      notify();
    },
    shift: () => queue.shift(),
    /** Resolves when something arrives; `false` once the inbox is closed and empty. Throws the failure that closed it. */
    async wait(): Promise<boolean> {
      if (!closed) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      if (failure) throw failure;
      return !closed || queue.length > 0;
    },
    close(): void {
      closed = true;
      notify();
    },
  };
}

/** Step 3 of the handover: the replay, then the inbox, never a seq at or below the last one yielded. */
function handover(replay: Promise<LoggedEvent[]>, inbox: Inbox, sent: { last: number }, end: () => void): AsyncIterableIterator<LoggedEvent> {
  const iterator: AsyncIterableIterator<LoggedEvent> = {
    async next() {
      try {
        const replayed = await replay;
        for (;;) {
          const event = replayed.shift() ?? inbox.shift();
          if (event) {
            if (event.seq <= sent.last) continue;
            sent.last = event.seq;
            return { value: event, done: false };
          }
          if (!(await inbox.wait())) return { value: undefined, done: true };
        }
      } catch (error) {
        end();
        throw error;
      }
    },
    async return() {
      end();
      return { value: undefined, done: true };
    },
    async throw(error?: unknown) {
      end();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

export function createEventFeed(options: FeedOptions): EventFeed {
  const maxReplayEvents = options.maxReplayEvents ?? FEED_DEFAULTS.maxReplayEvents;
  const maxReplayAgeMs = options.maxReplayAgeMs ?? FEED_DEFAULTS.maxReplayAgeMs;
  const maxQueue = options.maxQueue ?? FEED_DEFAULTS.maxQueue;
  const open = new Set<() => void>();

  return {
    close() {
      for (const end of [...open]) end();
    },
    subscribe({ match, after }) {
      const sent = { last: after ?? 0 };
      const inbox = createInbox(maxQueue, () => sent.last);
      // Step 1: listen before reading the log.
      const unlisten = options.hub.listen((event) => {
        if (match(event)) inbox.push(event);
      });
      // Step 2: the replay, read after the listener exists.
      const replay: Promise<LoggedEvent[]> =
        after === undefined
          ? Promise.resolve([])
          : options.log.recent(after, { limit: maxReplayEvents, since: Date.now() - maxReplayAgeMs }).then((rows) => rows.filter(match));
      replay.catch(() => undefined);
      const end = () => {
        inbox.close();
        unlisten();
        open.delete(end);
      };
      open.add(end);
      return handover(replay, inbox, sent, end);
    },
  };
}
