import type { ChangeEventInput } from '../connectors/define.ts';
import type { NormalizedConnector } from '../connectors/normalize.ts';
import type { ConnectorRuntime } from '../connectors/runtime.ts';
import type { Logger } from '../observability/logger.ts';
import type { Ingest } from './ingest.ts';
import type { EventLog } from './log.ts';

/**
 * Pollers, for systems (or records) that send no webhooks. Every `intervalMs` a poller asks its
 * endpoint for records modified since its cursor, maps each into change events and hands them to
 * the same ingest as webhooks: same log, same de-duplication, same purge and bus.
 *
 * The cursor is a time: the latest `occurredAt` of this connector's polled events. It is not
 * stored anywhere of its own — it is read back from the event log at start-up, so a restart
 * resumes where the last process stopped. Each poll re-reads `overlapMs` behind the cursor (the
 * backend's clock is not ours, and records saved in the same second as the cursor must not be
 * lost); what it finds twice has the same event id (ids name the record's version) and is
 * dropped by the log (its cache tags are purged again: one more upstream read, never stale
 * data). Every gateway instance polls; the log keeps one copy of each change.
 * A failed poll is logged and tried again at the next interval.
 */

export interface Pollers {
  /** Runs one poll of `connector` now (tests; an operator's "sync now"). */
  pollNow(connector: string): Promise<number>;
  stop(): void;
}

const MAX_PAGES = 20;

async function readChanged(runtime: ConnectorRuntime, connector: NormalizedConnector, args: Record<string, unknown>): Promise<unknown[]> {
  const endpoint = connector.endpoints[connector.poll!.endpoint]!;
  if (!endpoint.pagination) {
    const answer = await runtime.fetch(endpoint, args);
    return Array.isArray(answer) ? answer : answer == null ? [] : [answer];
  }
  const records: unknown[] = [];
  let after: string | null = null;
  for (let n = 0; n < MAX_PAGES; n++) {
    const page = await runtime.fetchPage(endpoint, args, { first: endpoint.pagination.maxPageSize ?? 100, after });
    records.push(...page.items);
    if (!page.hasNextPage || !page.endCursor) break;
    after = page.endCursor;
  }
  return records;
}

function latest(events: readonly ChangeEventInput[], fallback: number): number {
  let max = fallback;
  for (const e of events) {
    const at = typeof e.occurredAt === 'number' ? e.occurredAt : e.occurredAt === undefined ? Number.NaN : Date.parse(e.occurredAt);
    if (Number.isFinite(at) && at > max) max = at;
  }
  return max;
}

export async function startPollers(deps: {
  connectors: readonly NormalizedConnector[];
  runtime: ConnectorRuntime;
  ingest: Ingest;
  log: EventLog;
  logger: Logger;
}): Promise<Pollers> {
  const polled = deps.connectors.filter((c) => c.poll !== undefined);
  const cursors = new Map<string, number>();
  const running = new Map<string, Promise<number>>();
  const timers: NodeJS.Timeout[] = [];
  for (const connector of polled) {
    const poll = connector.poll!;
    cursors.set(connector.name, (await deps.log.lastOccurredAt(connector.name, poll.types)) ?? Date.now() - poll.lookbackMs);
  }

  async function pollOnce(connector: NormalizedConnector): Promise<number> {
    const poll = connector.poll!;
    const since = cursors.get(connector.name)!;
    const records = await readChanged(deps.runtime, connector, { [poll.cursor.arg]: poll.cursor.format(since - poll.cursor.overlapMs) });
    const inputs = records.flatMap((record) => poll.events(record));
    const recorded = await deps.ingest.record(connector.name, new Set(poll.types), inputs, Date.now());
    cursors.set(connector.name, latest(inputs, since));
    await recorded.announce();
    return recorded.accepted.length;
  }

  /** One poll per connector at a time: a slow backend delays the next poll instead of stacking them. */
  function pollNow(name: string): Promise<number> {
    const connector = polled.find((c) => c.name === name);
    if (!connector) return Promise.reject(new Error(`connector "${name}" declares no poll`));
    const current = running.get(name);
    if (current) return current;
    const run = pollOnce(connector).finally(() => running.delete(name));
    running.set(name, run);
    return run;
  }

  for (const connector of polled) {
    const timer = setInterval(() => {
      pollNow(connector.name).catch((error: unknown) => deps.logger.warn({ connector: connector.name, err: error }, 'poll failed; trying again at the next interval'));
    }, connector.poll!.intervalMs);
    timer.unref();
    timers.push(timer);
  }
  return {
    pollNow,
    stop() {
      for (const timer of timers) clearInterval(timer);
    },
  };
}
